#!/usr/bin/env python3
"""The official-community Alipay SDK (PyPI `python-alipay-sdk`, import `alipay`) against juhe's
Alipay sandbox, unchanged except for the gateway URL and the keys.

Usage: alipay_sdk.py SANDBOX_BASE_URL CREDENTIALS_JSON
  SANDBOX_BASE_URL  where the Alipay sandbox is mounted, e.g. http://127.0.0.1:8080/sandbox/alipay
  CREDENTIALS_JSON  AlipaySandbox::sdk_credentials_json(): app_id, app_private_key_pem,
                    alipay_public_key_pem, gateway_path; plus `smid` (a provisioned secondary
                    merchant) and `isv_app_auth_token` (a provisioned merchant's grant)

The SDK stamps `timestamp` with the machine's local time, which Alipay (and the sandbox) check
against Beijing time: run it with TZ set to Beijing time (e.g. TZ=CST-8).

Every SDK call that talks to the gateway verifies the sandbox's RSA2 signature over the raw
`*_response` text itself (and raises AliPayValidationError if it does not verify), so each check
below is also a signature check. Prints one line per check and `N passed, N failed`.
"""

import io
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

from alipay import AliPay, ISVAliPay
from Cryptodome.PublicKey import RSA

RESULTS = []


def check(name, condition, detail=""):
    RESULTS.append(bool(condition))
    print(("ok   - " if condition else "FAIL - ") + name + ("" if condition else f": {detail}"), flush=True)


def make_client(creds, gateway, private_key=None):
    client = AliPay(
        appid=creds["app_id"],
        app_notify_url=None,
        app_private_key_string=private_key or creds["app_private_key_pem"],
        alipay_public_key_string=creds["alipay_public_key_pem"],
        sign_type="RSA2",
        debug=False,
    )
    # The only change to the SDK: where its gateway is.
    client._gateway = gateway
    return client


def make_isv_client(creds, gateway, app_auth_token):
    """The SDK's ISV client: every call carries the merchant's `app_auth_token`."""
    client = ISVAliPay(
        appid=creds["app_id"],
        app_notify_url=None,
        app_private_key_string=creds["app_private_key_pem"],
        alipay_public_key_string=creds["alipay_public_key_pem"],
        sign_type="RSA2",
        app_auth_token=app_auth_token,
    )
    client._gateway = gateway
    return client


def scan(qr_code):
    """The payer scans a sandbox QR code (opens the page behind it)."""
    with urllib.request.urlopen(qr_code, timeout=15) as response:
        return response.read().decode("utf-8")


class Receiver(BaseHTTPRequestHandler):
    """Collects Alipay notifications and answers the literal `success`."""

    inbox = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode("utf-8")
        Receiver.inbox.put(body)
        payload = b"success"
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def start_receiver():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/notify"


def wait_notification(out_trade_no, want=None, timeout=15):
    """The next notification for `out_trade_no` (optionally with a given field value)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            body = Receiver.inbox.get(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            break
        data = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        if data.get("out_trade_no") == out_trade_no and all(data.get(k) == v for k, v in (want or {}).items()):
            return data
    return None


def post_json(url, payload):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def order_no(tag):
    return f"SDK{tag}{int(time.time() * 1000)}"


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    base = sys.argv[1].rstrip("/")
    with open(sys.argv[2], encoding="utf-8") as f:
        creds = json.load(f)
    gateway = base + creds["gateway_path"]
    alipay = make_client(creds, gateway)
    notify_url = start_receiver()

    # 直付通: every trade of the platform's app names a provisioned secondary merchant.
    sub = {"merchant_id": creds["smid"]}

    # Precreate (QR) and its idempotent repeat.
    qr_order = order_no("QR")
    first = alipay.api_alipay_trade_precreate(
        subject="SDK 测试", out_trade_no=qr_order, total_amount="12.34", notify_url=notify_url, sub_merchant=sub
    )
    check("precreate answers 10000 with a qr_code", first.get("code") == "10000" and first.get("qr_code"), first)
    again = alipay.api_alipay_trade_precreate(
        subject="SDK 测试", out_trade_no=qr_order, total_amount="12.34", notify_url=notify_url, sub_merchant=sub
    )
    check("repeated precreate shows the same qr_code", again.get("qr_code") == first.get("qr_code"), again)
    changed = alipay.api_alipay_trade_precreate(
        subject="SDK 测试", out_trade_no=qr_order, total_amount="1.00", sub_merchant=sub
    )
    check("same out_trade_no, other amount → ACQ.CONTEXT_INCONSISTENT", changed.get("sub_code") == "ACQ.CONTEXT_INCONSISTENT", changed)
    no_sub = alipay.api_alipay_trade_precreate(subject="x", out_trade_no=order_no("NOSUB"), total_amount="1.00")
    check(
        "precreate without sub_merchant → ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID",
        no_sub.get("sub_code") == "ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID",
        no_sub,
    )
    stranger = alipay.api_alipay_trade_precreate(
        subject="x", out_trade_no=order_no("SMID"), total_amount="1.00", sub_merchant={"merchant_id": "2088000000000000"}
    )
    check(
        "precreate for an unprovisioned smid → ACQ.SECONDARY_MERCHANT_ID_INVALID",
        stranger.get("sub_code") == "ACQ.SECONDARY_MERCHANT_ID_INVALID",
        stranger,
    )

    unscanned = alipay.api_alipay_trade_query(out_trade_no=qr_order)
    check("query before the payer scans → ACQ.TRADE_NOT_EXIST", unscanned.get("sub_code") == "ACQ.TRADE_NOT_EXIST", unscanned)
    check("the payer scans the qr_code", "12.34" in scan(first.get("qr_code", "")))
    queried = alipay.api_alipay_trade_query(out_trade_no=qr_order)
    check(
        "query after the scan: WAIT_BUYER_PAY 12.34",
        queried.get("trade_status") == "WAIT_BUYER_PAY" and queried.get("total_amount") == "12.34",
        queried,
    )
    missing = alipay.api_alipay_trade_query(out_trade_no="SDKNOSUCHORDER")
    check("query of an unknown order → ACQ.TRADE_NOT_EXIST", missing.get("sub_code") == "ACQ.TRADE_NOT_EXIST", missing)

    # Close: nothing to close before the scan, then the scanned trade closes.
    close_order = order_no("CL")
    to_close = alipay.api_alipay_trade_precreate(
        subject="close me", out_trade_no=close_order, total_amount="0.01", sub_merchant=sub
    )
    early = alipay.api_alipay_trade_close(out_trade_no=close_order)
    check("close before the scan → ACQ.TRADE_NOT_EXIST", early.get("sub_code") == "ACQ.TRADE_NOT_EXIST", early)
    scan(to_close.get("qr_code", ""))
    closed = alipay.api_alipay_trade_close(out_trade_no=close_order)
    check("close answers 10000", closed.get("code") == "10000", closed)
    after = alipay.api_alipay_trade_query(out_trade_no=close_order)
    check("closed trade reads TRADE_CLOSED", after.get("trade_status") == "TRADE_CLOSED", after)

    # A request stamped far from Beijing time (a server stamping UTC wall time is 8 hours off).
    stale = alipay.build_body("alipay.trade.query", {"out_trade_no": qr_order})
    utc_wall = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    stale["timestamp"] = utc_wall
    refused = alipay.verified_sync_response(stale, "alipay_trade_query_response")
    check("timestamp 8 hours off → 40002 isv.invalid-timestamp", refused.get("sub_code") == "isv.invalid-timestamp", refused)

    # Pay through the sandbox control, then verify the notification with the SDK.
    status, paid = post_json(base + "/simulate/pay", {"out_trade_no": qr_order})
    check("simulate/pay → TRADE_SUCCESS", status == 200 and paid.get("trade_status") == "TRADE_SUCCESS", (status, paid))
    note = wait_notification(qr_order, {"trade_status": "TRADE_SUCCESS"})
    check("payment notification received", note is not None)
    if note is not None:
        data = dict(note)
        signature = data.pop("sign")
        check("SDK verify() accepts the notification", alipay.verify(dict(data), signature), data)
        tampered = dict(data, total_amount="0.01")
        check("SDK verify() refuses a tampered notification", not alipay.verify(tampered, signature))
        check(
            "notification names the app, the order and the amount",
            data.get("app_id") == creds["app_id"] and data.get("total_amount") == "12.34",
            data,
        )
    paid_query = alipay.api_alipay_trade_query(out_trade_no=qr_order)
    check("query after payment: TRADE_SUCCESS", paid_query.get("trade_status") == "TRADE_SUCCESS", paid_query)
    trade_no = paid_query.get("trade_no")
    by_trade_no = alipay.api_alipay_trade_query(trade_no=trade_no)
    check("query by trade_no alone", by_trade_no.get("out_trade_no") == qr_order, by_trade_no)

    # Refunds: partial (by trade_no alone), over the remainder, refund query, refund notification.
    refund = alipay.api_alipay_trade_refund(refund_amount="2.34", trade_no=trade_no, out_request_no="SDKR1")
    check("partial refund by trade_no: 10000, fund_change=Y", refund.get("code") == "10000" and refund.get("fund_change") == "Y", refund)
    over = alipay.api_alipay_trade_refund(refund_amount="10.01", out_trade_no=qr_order, out_request_no="SDKR2")
    check("refund above the remainder → 40004", over.get("code") == "40004", over)
    refund_query = alipay.api_alipay_trade_fastpay_refund_query("SDKR1", out_trade_no=qr_order)
    check("refund query shows 2.34", refund_query.get("refund_amount") == "2.34", refund_query)
    refund_query = alipay.api_alipay_trade_fastpay_refund_query("SDKR1", trade_no=trade_no)
    check("refund query by trade_no shows 2.34", refund_query.get("refund_amount") == "2.34", refund_query)
    refund_note = wait_notification(qr_order, {"out_biz_no": "SDKR1"})
    if refund_note is not None:
        signature = refund_note.pop("sign")
        check("SDK verify() accepts the refund notification", alipay.verify(refund_note, signature), refund_note)
    else:
        check("refund notification received", False)

    # Barcode pay: paid at once, waiting for the payer, then cancel.
    bar_order = order_no("BAR")
    bar = alipay.api_alipay_trade_pay(
        bar_order, "bar_code", "2812345678900000", "条码", total_amount="1.00", sub_merchant=sub
    )
    check("barcode pay → 10000", bar.get("code") == "10000" and bar.get("trade_no"), bar)
    wait_order = order_no("BARW")
    waiting = alipay.api_alipay_trade_pay(
        wait_order, "bar_code", "2812345678901111", "条码", total_amount="1.00", sub_merchant=sub
    )
    check("barcode pay awaiting the payer → 10003", waiting.get("code") == "10003", waiting)
    cancel = alipay.api_alipay_trade_cancel(out_trade_no=wait_order)
    check("cancel → 10000, action close", cancel.get("code") == "10000" and cancel.get("action") == "close", cancel)

    # JSAPI create (the SDK looks the answer up as `alipay_trade_create`).
    created = alipay.api_alipay_trade_create(
        subject="JSAPI", out_trade_no=order_no("JS"), total_amount="3.00", buyer_id="2088102169481075", sub_merchant=sub
    )
    check("trade.create → trade_no", created.get("code") == "10000" and created.get("trade_no"), created)

    # Mobile web: the signed URL the SDK builds opens the sandbox cashier.
    wap_order = order_no("WAP")
    query_string = alipay.api_alipay_trade_wap_pay(
        subject="WAP", out_trade_no=wap_order, total_amount="5.00", sub_merchant=sub
    )
    with urllib.request.urlopen(gateway + "?" + query_string, timeout=15) as response:
        page = response.read().decode("utf-8")
    check("wap.pay URL opens the cashier", "5.00" in page and wap_order in page, page[:200])

    # The day's bill: download URL, then a ZIP of GBK CSVs.
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")
    bill = alipay.server_api(
        "alipay.data.dataservice.bill.downloadurl.query", biz_content={"bill_type": "trade", "bill_date": today}
    )
    url = bill.get("bill_download_url")
    check("bill download URL", bill.get("code") == "10000" and url, bill)
    if url:
        with urllib.request.urlopen(url, timeout=15) as response:
            archive = zipfile.ZipFile(io.BytesIO(response.read()))
        details = [n for n in archive.namelist() if n.endswith("_业务明细.csv")]
        text = archive.read(details[0]).decode("gbk") if details else ""
        header = next((line for line in text.splitlines() if not line.startswith("#")), "")
        check(
            "bill: GBK detail CSV with the 25-column header",
            header.startswith("支付宝交易号,商户订单号,业务类型") and len(header.split(",")) == 25 and qr_order in text,
            header,
        )

    # ISV (服务商代调用): the SDK's ISV client acts for the merchant that granted the token; no
    # sub_merchant, and the trade is the merchant's (the platform's own app does not see it).
    isv = make_isv_client(creds, gateway, creds["isv_app_auth_token"])
    isv_order = order_no("ISV")
    isv_qr = isv.api_alipay_trade_precreate(subject="ISV", out_trade_no=isv_order, total_amount="2.00")
    check("ISV precreate with the merchant's app_auth_token → 10000", isv_qr.get("code") == "10000", isv_qr)
    scan(isv_qr.get("qr_code", ""))
    isv_query = isv.api_alipay_trade_query(out_trade_no=isv_order)
    check("ISV query: WAIT_BUYER_PAY", isv_query.get("trade_status") == "WAIT_BUYER_PAY", isv_query)
    platform_view = alipay.api_alipay_trade_query(out_trade_no=isv_order)
    check("the merchant's trade is not the platform's", platform_view.get("sub_code") == "ACQ.TRADE_NOT_EXIST", platform_view)
    forged = make_isv_client(creds, gateway, "201901BBforged0000000000000000000000")
    forged_answer = forged.api_alipay_trade_query(out_trade_no=isv_order)
    check(
        "unknown app_auth_token → 20001 aop.invalid-app-auth-token",
        forged_answer.get("code") == "20001" and forged_answer.get("sub_code") == "aop.invalid-app-auth-token",
        forged_answer,
    )

    # A request signed with a key the sandbox does not know: refused, and the refusal is signed.
    foreign = make_client(creds, gateway, RSA.generate(2048).export_key(pkcs=8).decode())
    refused = foreign.api_alipay_trade_query(out_trade_no=qr_order)
    check("foreign signature → 40002 isv.invalid-signature", refused.get("sub_code") == "isv.invalid-signature", refused)

    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
