#!/usr/bin/env python3
"""The official-community Alipay SDK (PyPI `python-alipay-sdk`, import `alipay`) against juhe's
Alipay sandbox, unchanged except for the gateway URL and the keys.

Usage: alipay_sdk.py SANDBOX_BASE_URL CREDENTIALS_JSON
  SANDBOX_BASE_URL  where the Alipay sandbox is mounted, e.g. http://127.0.0.1:8080/sandbox/alipay
  CREDENTIALS_JSON  AlipaySandbox::sdk_credentials_json(): app_id, app_private_key_pem,
                    alipay_public_key_pem, gateway_path

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

from alipay import AliPay
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

    # Precreate (QR) and its idempotent repeat.
    qr_order = order_no("QR")
    first = alipay.api_alipay_trade_precreate(
        subject="SDK 测试", out_trade_no=qr_order, total_amount="12.34", notify_url=notify_url
    )
    check("precreate answers 10000 with a qr_code", first.get("code") == "10000" and first.get("qr_code"), first)
    again = alipay.api_alipay_trade_precreate(
        subject="SDK 测试", out_trade_no=qr_order, total_amount="12.34", notify_url=notify_url
    )
    check("repeated precreate shows the same qr_code", again.get("qr_code") == first.get("qr_code"), again)
    changed = alipay.api_alipay_trade_precreate(subject="SDK 测试", out_trade_no=qr_order, total_amount="1.00")
    check("same out_trade_no, other amount → ACQ.CONTEXT_INCONSISTENT", changed.get("sub_code") == "ACQ.CONTEXT_INCONSISTENT", changed)

    queried = alipay.api_alipay_trade_query(out_trade_no=qr_order)
    check(
        "query: WAIT_BUYER_PAY 12.34",
        queried.get("trade_status") == "WAIT_BUYER_PAY" and queried.get("total_amount") == "12.34",
        queried,
    )
    missing = alipay.api_alipay_trade_query(out_trade_no="SDKNOSUCHORDER")
    check("query of an unknown order → ACQ.TRADE_NOT_EXIST", missing.get("sub_code") == "ACQ.TRADE_NOT_EXIST", missing)

    # Close.
    close_order = order_no("CL")
    alipay.api_alipay_trade_precreate(subject="close me", out_trade_no=close_order, total_amount="0.01")
    closed = alipay.api_alipay_trade_close(out_trade_no=close_order)
    check("close answers 10000", closed.get("code") == "10000", closed)
    after = alipay.api_alipay_trade_query(out_trade_no=close_order)
    check("closed trade reads TRADE_CLOSED", after.get("trade_status") == "TRADE_CLOSED", after)

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

    # Refunds: partial, over the remainder, refund query, refund notification.
    refund = alipay.api_alipay_trade_refund(refund_amount="2.34", out_trade_no=qr_order, out_request_no="SDKR1")
    check("partial refund: 10000, fund_change=Y", refund.get("code") == "10000" and refund.get("fund_change") == "Y", refund)
    over = alipay.api_alipay_trade_refund(refund_amount="10.01", out_trade_no=qr_order, out_request_no="SDKR2")
    check("refund above the remainder → 40004", over.get("code") == "40004", over)
    refund_query = alipay.api_alipay_trade_fastpay_refund_query("SDKR1", out_trade_no=qr_order)
    check("refund query shows 2.34", refund_query.get("refund_amount") == "2.34", refund_query)
    refund_note = wait_notification(qr_order, {"out_biz_no": "SDKR1"})
    if refund_note is not None:
        signature = refund_note.pop("sign")
        check("SDK verify() accepts the refund notification", alipay.verify(refund_note, signature), refund_note)
    else:
        check("refund notification received", False)

    # Barcode pay: paid at once, waiting for the payer, then cancel.
    bar_order = order_no("BAR")
    bar = alipay.api_alipay_trade_pay(bar_order, "bar_code", "2812345678900000", "条码", total_amount="1.00")
    check("barcode pay → 10000", bar.get("code") == "10000" and bar.get("trade_no"), bar)
    wait_order = order_no("BARW")
    waiting = alipay.api_alipay_trade_pay(wait_order, "bar_code", "2812345678901111", "条码", total_amount="1.00")
    check("barcode pay awaiting the payer → 10003", waiting.get("code") == "10003", waiting)
    cancel = alipay.api_alipay_trade_cancel(out_trade_no=wait_order)
    check("cancel → 10000, action close", cancel.get("code") == "10000" and cancel.get("action") == "close", cancel)

    # JSAPI create (the SDK looks the answer up as `alipay_trade_create`).
    created = alipay.api_alipay_trade_create(
        subject="JSAPI", out_trade_no=order_no("JS"), total_amount="3.00", buyer_id="2088102169481075"
    )
    check("trade.create → trade_no", created.get("code") == "10000" and created.get("trade_no"), created)

    # Mobile web: the signed URL the SDK builds opens the sandbox cashier.
    wap_order = order_no("WAP")
    query_string = alipay.api_alipay_trade_wap_pay(subject="WAP", out_trade_no=wap_order, total_amount="5.00")
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

    # A request signed with a key the sandbox does not know: refused, and the refusal is signed.
    foreign = make_client(creds, gateway, RSA.generate(2048).export_key(pkcs=8).decode())
    refused = foreign.api_alipay_trade_query(out_trade_no=qr_order)
    check("foreign signature → 40002 isv.invalid-signature", refused.get("sub_code") == "isv.invalid-signature", refused)

    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
