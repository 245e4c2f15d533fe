//! `/callbacks/{channel}/{account_id}`: notifications from the channels, in their own formats
//! (not part of the OpenAPI spec: the channels define them).

use crate::state::AppState;
use juhe_domain::channels::{ChannelCode, InboundRequest};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, handler};
use std::sync::Arc;

#[handler]
pub async fn channel_callback(
    req: &Request,
    Path((channel, account_id)): Path<(String, String)>,
    Data(state): Data<&Arc<AppState>>,
    body: Body,
) -> Response {
    let Some(code) = ChannelCode::parse(&channel) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(bytes) = body.into_bytes().await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
        .collect();
    let inbound = InboundRequest { headers: &headers, body: &bytes };
    match state.payments.handle_callback(code, &account_id, &inbound).await {
        Some(ack) => Response::builder()
            .status(StatusCode::from_u16(ack.status).unwrap_or(StatusCode::OK))
            .content_type(ack.content_type)
            .body(ack.body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
