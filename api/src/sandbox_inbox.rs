//! A notification inbox for demos (`/sandbox/inbox/{name}`, only with the sandboxes on): stands
//! in for a merchant's webhook endpoint, so the README walk-through can show the signed
//! notification juhe sent. Bounded: a few names, the newest entries each.

use poem::web::{Data, Json, Path};
use poem::{Body, EndpointExt, Request, Route, get, handler};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

const MAX_NAMES: usize = 64;
const MAX_ENTRIES: usize = 50;

#[derive(Default)]
pub struct Inbox {
    entries: Mutex<HashMap<String, VecDeque<Value>>>,
}

impl Inbox {
    pub fn routes(self: Arc<Self>) -> Route {
        Route::new().at("/:name", get(show).post(receive).data(self))
    }

    fn push(&self, name: &str, entry: Value) {
        let Ok(mut map) = self.entries.lock() else { return };
        if !map.contains_key(name) && map.len() >= MAX_NAMES {
            return;
        }
        let entries = map.entry(name.to_owned()).or_default();
        if entries.len() == MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    fn list(&self, name: &str) -> Vec<Value> {
        self.entries
            .lock()
            .map(|m| m.get(name).map(|l| l.iter().rev().cloned().collect()).unwrap_or_default())
            .unwrap_or_default()
    }
}

#[handler]
async fn receive(req: &Request, Path(name): Path<String>, Data(inbox): Data<&Arc<Inbox>>, body: Body) -> &'static str {
    let bytes = body.into_bytes().await.unwrap_or_default();
    let header = |n: &str| req.header(n).map(str::to_owned);
    let body: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    inbox.push(
        &name,
        json!({
            "received_at": time::OffsetDateTime::now_utc().unix_timestamp(),
            "event_id": header("juhe-event-id"),
            "timestamp": header("juhe-timestamp"),
            "nonce": header("juhe-nonce"),
            "signature": header("juhe-signature"),
            "body": body,
        }),
    );
    "ok"
}

#[handler]
async fn show(Path(name): Path<String>, Data(inbox): Data<&Arc<Inbox>>) -> Json<Value> {
    Json(json!({"items": inbox.list(&name)}))
}
