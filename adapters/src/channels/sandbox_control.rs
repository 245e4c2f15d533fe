//! What the Alipay and UnionPay sandboxes share: endpoints bound to the sandbox, planned
//! failures (`simulate/fail-next`) and the answer a `lost_reply` failure gives, the control
//! endpoints' JSON bodies and `{code, message}` errors, and the file of what a sandbox provisioned.

use poem::endpoint::make;
use poem::http::StatusCode;
use poem::{Body, Endpoint, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

pub(crate) fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({ "code": code, "message": message }))
}

pub(crate) async fn json_body<T: for<'de> Deserialize<'de>>(req: &mut Request) -> Result<T, Response> {
    let bytes = req
        .take_body()
        .into_bytes_limit(64 << 10)
        .await
        .map_err(|_| problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "unreadable body"))?;
    serde_json::from_slice(&bytes).map_err(|err| problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &err.to_string()))
}

/// An endpoint that hands each request to `handler` with the sandbox.
pub(crate) fn endpoint<S, F, Fut>(sandbox: &Arc<S>, handler: F) -> impl Endpoint<Output = Response> + use<S, F, Fut>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request) -> Fut + Send + Sync,
    Fut: Future<Output = Response> + Send,
{
    let sandbox = sandbox.clone();
    make(move |req| handler(sandbox.clone(), req))
}

/// `POST /simulate/pay {"out_trade_no", "notify"}`: `notify: false` pays without sending the
/// notification (as when the channel's notification is lost).
#[derive(Deserialize)]
pub(crate) struct SimulatePay {
    pub out_trade_no: String,
    #[serde(default = "yes")]
    pub notify: bool,
}

fn yes() -> bool {
    true
}

/// How a planned gateway failure shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailMode {
    /// A system error, the call not performed.
    Error,
    /// The call performed, its answer held back (`TIMEOUT_DELAY` of each sandbox).
    Timeout,
    /// The call performed, then the connection cut without an answer.
    LostReply,
}

impl FailMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailMode::Error => "error",
            FailMode::Timeout => "timeout",
            FailMode::LostReply => "lost_reply",
        }
    }
}

/// At most this many planned failures at once.
const MAX_FAILURES: u32 = 100;

/// Reads `POST /simulate/fail-next {"count", "mode": "error"|"timeout"|"lost_reply"}`.
pub(crate) async fn fail_next_body(req: &mut Request) -> Result<(u32, FailMode), Response> {
    #[derive(Deserialize)]
    struct FailNext {
        count: u32,
        mode: String,
    }
    let body: FailNext = json_body(req).await?;
    let modes = [FailMode::Error, FailMode::Timeout, FailMode::LostReply];
    let Some(mode) = modes.into_iter().find(|m| m.as_str() == body.mode) else {
        let message = "mode must be error, timeout or lost_reply";
        return Err(problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message));
    };
    if body.count > MAX_FAILURES {
        return Err(problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "count must be at most 100"));
    }
    Ok((body.count, mode))
}

/// The next `count` gateway calls fail in `mode` (`simulate/fail-next`).
pub(crate) struct PlannedFailures<M>(Mutex<Option<(u32, M)>>);

impl<M: Copy> PlannedFailures<M> {
    pub(crate) fn none() -> Self {
        Self(Mutex::new(None))
    }

    pub(crate) fn plan(&self, count: u32, mode: M) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = (count > 0).then_some((count, mode));
    }

    /// Takes one pending failure, if any.
    pub(crate) fn take(&self) -> Option<M> {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, mode) = (*pending)?;
        *pending = (count > 1).then_some((count - 1, mode));
        Some(mode)
    }
}

/// `lost_reply`: a response whose body fails at once, so the server cuts the connection before
/// a complete answer is out; the client sees a broken connection, not an answer.
pub(crate) fn dropped_answer() -> Response {
    Response::builder().body(Body::from_async_read(Broken))
}

struct Broken;

impl tokio::io::AsyncRead for Broken {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, _: &mut tokio::io::ReadBuf<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Err(io::Error::other("sandbox: the answer is dropped (fail-next lost_reply)")))
    }
}

/// Ids a sandbox handed out (sub-merchants, authorization tokens) with what it knows of each,
/// kept in an append-only JSON-lines file (0600, tokens are credentials) beside its keys: they
/// stay valid across restarts and for every process that shares the data directory.
pub(crate) struct Provisioned {
    path: PathBuf,
    known: Mutex<HashMap<(String, String), Value>>,
}

impl Provisioned {
    pub(crate) fn open(path: PathBuf) -> io::Result<Provisioned> {
        let known = read_lines(&path)?;
        Ok(Provisioned { path, known: Mutex::new(known) })
    }

    /// Records `id` of `kind`. The id is valid in this process whatever happens; a failed write
    /// only means another process (or a restart) will not know it, so it is logged, not fatal.
    pub(crate) fn add(&self, kind: &str, id: &str, data: Value) {
        let line = json!({ "kind": kind, "id": id, "data": data });
        self.lock().insert((kind.to_owned(), id.to_owned()), data);
        if let Err(err) = append_line(&self.path, &line.to_string()) {
            tracing::warn!(path = %self.path.display(), error = %err, "sandbox: could not record a provisioned id");
        }
    }

    /// What was recorded with `id`, if it was provisioned (here or by another process).
    pub(crate) fn get(&self, kind: &str, id: &str) -> Option<Value> {
        let key = (kind.to_owned(), id.to_owned());
        if let Some(found) = self.lock().get(&key) {
            return Some(found.clone());
        }
        let reread = read_lines(&self.path).ok()?;
        let mut known = self.lock();
        known.extend(reread);
        known.get(&key).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Value>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn read_lines(path: &Path) -> io::Result<HashMap<(String, String), Value>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(err) => return Err(err),
    };
    // A line cut short by a crash is skipped: the id it named was never handed out complete.
    let entries = text.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()).filter_map(|entry| {
        let kind = entry.get("kind")?.as_str()?.to_owned();
        let id = entry.get("id")?.as_str()?.to_owned();
        Some(((kind, id), entry.get("data").cloned().unwrap_or(Value::Null)))
    });
    Ok(entries.collect())
}

fn append_line(path: &Path, line: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // One write of the whole line: appends of other processes do not interleave within it.
    options.open(path)?.write_all(format!("{line}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioned_ids_survive_a_reopen_and_are_seen_across_instances() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ids.jsonl");
        let first = Provisioned::open(path.clone()).expect("open");
        let second = Provisioned::open(path.clone()).expect("open again");
        first.add("smid", "2088000000000001", json!({ "name": "a" }));
        assert_eq!(first.get("smid", "2088000000000001"), Some(json!({ "name": "a" })));
        // Another instance on the same file learns it on a miss.
        assert_eq!(second.get("smid", "2088000000000001"), Some(json!({ "name": "a" })));
        assert_eq!(second.get("smid", "2088000000000002"), None);
        assert_eq!(second.get("token", "2088000000000001"), None);
        // A torn last line is skipped.
        append_line(&path, "{\"kind\":\"smid\",\"id\":").expect("append");
        let reopened = Provisioned::open(path.clone()).expect("reopen");
        assert!(reopened.get("smid", "2088000000000001").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).expect("file").permissions().mode() & 0o777, 0o600);
        }
    }
}
