//! Redis cache for production and for several `juhe` processes sharing counters, nonces and
//! locks. One multiplexed `ConnectionManager` (reconnects by itself) serves every call.
//!
//! Counter updates run as Lua scripts so that the read, the limit check, the increment and the
//! expiry are one atomic step on the server.
//! Lua numbers are doubles: limits are compared exactly up to 2^53 (far beyond any quota in fen),
//! while the stored value itself is updated by INCRBY with exact 64-bit arithmetic.

use super::{effective_ttl, prefixed};
use async_trait::async_trait;
use juhe_domain::cache::{Cache, CacheError, CacheResult};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script, Value};
use std::sync::Arc;
use std::time::Duration;

/// INCRBY; a key without expiry (new, or somehow persisted) gets the TTL so no counter lives
/// forever, while an existing counter keeps its expiry.
const INCR_LUA: &str = r"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
";

/// Like INCR_LUA but refuses (returns nil, changes nothing) when the result would pass ARGV[2].
const INCR_WITHIN_LUA: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == nil then
  return redis.error_reply('ERR value is not an integer')
end
if current + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  return false
end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return value
";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct RedisCache {
    prefix: String,
    conn: ConnectionManager,
    incr_script: Arc<Script>,
    incr_within_script: Arc<Script>,
}

impl RedisCache {
    /// Connects (with a few retries) to `url`, e.g. `redis://:password@host:6379/0`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        // The URL may hold a password: errors name the failure kind, never the URL.
        let client = redis::Client::open(url).map_err(|err| redis_error("parse redis url", &err))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(3);
        let conn =
            ConnectionManager::new_with_config(client, config).await.map_err(|err| redis_error("connect", &err))?;
        Ok(Self {
            prefix: prefix.to_owned(),
            conn,
            incr_script: Arc::new(Script::new(INCR_LUA)),
            incr_within_script: Arc::new(Script::new(INCR_WITHIN_LUA)),
        })
    }

    fn key(&self, key: &str) -> String {
        prefixed(&self.prefix, key)
    }
}

/// Maps a Redis error to a message naming the operation and the failure kind only: details can
/// echo arguments, and arguments are values we store (tokens, nonces).
fn redis_error(operation: &str, err: &RedisError) -> CacheError {
    let mut message = format!("redis {operation}: {}", err.category());
    if let Some(code) = err.code() {
        message.push_str(&format!(" ({code})"));
    }
    CacheError(message)
}

fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(effective_ttl(ttl).as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("get", &err))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()> {
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl))
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("set", &err))
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool> {
        let reply: Value = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(ttl))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("set nx", &err))?;
        // OK when stored, nil when the key already existed.
        Ok(!matches!(reply, Value::Nil))
    }

    async fn delete(&self, key: &str) -> CacheResult<()> {
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("delete", &err))
    }

    async fn incr(&self, key: &str, delta: i64, ttl: Duration) -> CacheResult<i64> {
        self.incr_script
            .key(self.key(key))
            .arg(delta)
            .arg(ttl_millis(ttl))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("incr", &err))
    }

    async fn incr_within(&self, key: &str, delta: i64, limit: i64, ttl: Duration) -> CacheResult<Option<i64>> {
        self.incr_within_script
            .key(self.key(key))
            .arg(delta)
            .arg(limit)
            .arg(ttl_millis(ttl))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|err| redis_error("incr within", &err))
    }

    async fn ping(&self) -> CacheResult<()> {
        redis::cmd("PING").query_async::<()>(&mut self.conn.clone()).await.map_err(|err| redis_error("ping", &err))
    }
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}
