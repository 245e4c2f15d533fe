//! A store's printed code: `GET /cashier/{code}` and `POST /cashier/{code}/pay`.

use super::pages::{self, PayPage};
use super::{errors, html};
use crate::state::AppState;
use juhe_domain::cashier::{Target, wallet_code};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use std::collections::HashMap;
use std::sync::Arc;

#[handler]
pub async fn visit(
    req: &Request,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    // `shop` checks the code's shape first: it is URL-safe wherever it is echoed below.
    let shop = match state.cashier.shop(&code).await {
        Ok(shop) => shop,
        Err(e) => return errors::page(&e),
    };
    let wallet = match super::payable_wallet(req) {
        Ok(w) => w,
        Err(other) => return html(StatusCode::OK, pages::unsupported(other, &shop.store_name)),
    };
    let target = Target::Code(shop.code.clone());
    let Some((auth_code, oauth_state)) = super::oauth_back(&q) else {
        let here = format!("{}/cashier/{}", state.cashier.links.public_url(), shop.code);
        return super::to_wallet(state, &target, wallet, &here).await;
    };
    match state.cashier.payer_back(&target, wallet, auth_code, oauth_state).await {
        Ok(grant) => html(
            StatusCode::OK,
            pages::pay_form(&PayPage {
                title: &shop.store_name,
                subtitle: &shop.merchant_name,
                fixed_amount: None,
                pay_url: &format!("/cashier/{}/pay", shop.code),
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
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    if !super::same_origin(req, state) {
        return errors::json(&juhe_domain::cashier::CashierError::BadToken);
    }
    let form = match super::pay_form(req, state, Target::Code(code), &f, true) {
        Ok(form) => form,
        Err(e) => return errors::json(&e),
    };
    match state.cashier.pay(form).await {
        Ok(paying) => super::pay_answer(state, &paying),
        Err(e) => errors::json(&e),
    }
}
