//! A `way=CASHIER` order's signed link (`GET /cashier/o/{order_no}?exp&sig`, `POST …/pay`) and
//! the result page every cashier payment ends on (`GET /cashier/r/{order_no}?t`, `…/status`).

use super::pages::{self, PayPage};
use super::{errors, html};
use crate::state::AppState;
use juhe_domain::cashier::{CashierError, Target, wallet_code};
use juhe_domain::payments::order::Order;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// The link's `exp` and `sig`, checked against the order; the order when they hold.
async fn linked(
    state: &AppState,
    order_no: &str,
    q: &HashMap<String, String>,
) -> Result<(Order, i64, String), CashierError> {
    let exp: i64 = q.get("exp").and_then(|e| e.parse().ok()).ok_or(CashierError::BadToken)?;
    let sig = q.get("sig").ok_or(CashierError::BadToken)?;
    let order = state.cashier.open_order(order_no, exp, sig).await?;
    // Verified: `sig` is our own URL-safe output from here on.
    Ok((order, exp, sig.clone()))
}

#[handler]
pub async fn visit(
    req: &Request,
    Path(order_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let (order, exp, sig) = match linked(state, &order_no, &q).await {
        Ok(found) => found,
        Err(e) => return errors::page(&e),
    };
    if order.status.is_paid() {
        return html(StatusCode::OK, pages::message("订单已支付", "此订单已支付，无需重复付款。"));
    }
    if order.status.is_final_unpaid() {
        return html(StatusCode::GONE, pages::message("订单已关闭", "此订单已关闭或已过期。"));
    }
    let wallet = match super::payable_wallet(req) {
        Ok(w) => w,
        Err(other) => return html(StatusCode::OK, pages::unsupported(other, &order.subject)),
    };
    let target = Target::Order(order.order_no.clone());
    let link = format!("/cashier/o/{}?exp={exp}&sig={sig}", order.order_no);
    let Some((auth_code, oauth_state)) = super::oauth_back(&q) else {
        let here = format!("{}{link}", state.cashier.links.public_url());
        return super::to_wallet(state, &target, wallet, &here).await;
    };
    match state.cashier.payer_back(&target, wallet, auth_code, oauth_state).await {
        Ok(grant) => html(
            StatusCode::OK,
            pages::pay_form(&PayPage {
                title: &order.subject,
                subtitle: &format!("订单号 {}", order.order_no),
                fixed_amount: Some(order.amount.0),
                pay_url: &format!("/cashier/o/{}/pay?exp={exp}&sig={sig}", order.order_no),
                wallet: grant.wallet,
                wallet_code: wallet_code(grant.wallet),
                payer_id: &grant.payer_id,
                token: &grant.token,
                sandbox: state.sandboxes.is_some(),
            }),
        ),
        Err(e) => errors::page(&e),
    }
}

#[handler]
pub async fn pay(
    req: &Request,
    Path(order_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Form(f): Form<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    if !super::same_origin(req, state) {
        return errors::json(&CashierError::BadToken);
    }
    if let Err(e) = linked(state, &order_no, &q).await {
        return errors::json(&e);
    }
    let form = match super::pay_form(req, state, Target::Order(order_no), &f, false) {
        Ok(form) => form,
        Err(e) => return errors::json(&e),
    };
    match state.cashier.pay(form).await {
        Ok(paying) => super::pay_answer(state, &paying),
        Err(e) => errors::json(&e),
    }
}

#[handler]
pub async fn result_page(
    Path(order_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let token = q.get("t").map(String::as_str).unwrap_or_default();
    match state.cashier.result(&order_no, token).await {
        Ok(order) => {
            // Verified: the token is our own URL-safe output.
            let status_url = format!("/cashier/r/{}/status?t={token}", order.order_no);
            html(
                StatusCode::OK,
                pages::result(
                    &order.subject,
                    order.amount.0,
                    &order.order_no,
                    &status_url,
                    order.return_url.as_deref(),
                ),
            )
        }
        Err(e) => errors::page(&e),
    }
}

#[handler]
pub async fn status(
    Path(order_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let token = q.get("t").map(String::as_str).unwrap_or_default();
    match state.cashier.result(&order_no, token).await {
        Ok(o) => super::json(
            StatusCode::OK,
            &json!({
                "order_no": o.order_no,
                "status": o.status.as_str(),
                "paid": o.status.is_paid(),
                "final": o.status.is_paid() || o.status.is_final_unpaid(),
            }),
        ),
        Err(e) => errors::json(&e),
    }
}
