#!/usr/bin/env python3
"""WeChat Pay sandbox conformance with the official Python SDK `wechatpayv3`, used unchanged
except for the gateway (base URL) and the keys: partner (service-provider) mode, public-key mode.

Usage: wechat_sdk.py SANDBOX_BASE_URL CREDENTIALS_JSON
  SANDBOX_BASE_URL  e.g. http://127.0.0.1:8080/sandbox/wechat, or http://127.0.0.1:8080 for a
                    sandbox served at the root (as WeChat's own host)
  CREDENTIALS_JSON  written by the sandbox (`WechatSandbox::sdk_credentials_json`): mchid, appid,
                    cert_serial_no, private_key, apiv3_key, public_key_id, public_key, sub_mchid,
                    sub_appid; optionally bill_date and bill_out_trade_no (a day whose bill is
                    ready and an order paid that day; the bill checks are skipped without them)

WeChat signs "the URL minus the domain". The SDK signs the path after its gateway, so its gateway
is the sandbox's origin and, for a mounted sandbox, the mount prefix goes in front of every API
path (see `point_at`): what the SDK signs is then the whole path it requests.

Every SDK call verifies the sandbox's response signature itself (it raises otherwise). Exits 0
and prints "N passed, 0 failed" when every check holds.
"""

import gzip
import hashlib
import json
import queue
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wechatpayv3 import WeChatPay, WeChatPayType

CHECKS = []
# WeChat's refund answers always carry every one of these.
REFUND_AMOUNT_KEYS = sorted([
    "total", "refund", "from", "payer_total", "payer_refund", "settlement_total", "settlement_refund",
    "discount_refund", "currency",
])


def check(name, condition, detail=""):
    CHECKS.append((name, bool(condition)))
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  -- {detail}"))


def out_no(tag):
    return (tag + uuid.uuid4().hex)[:32]


class Inbox:
    """A notify_url: records (headers, body) and acknowledges as WeChat expects."""

    def __init__(self):
        self.received = queue.Queue()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                inbox.received.put(({k: v for k, v in self.headers.items()}, body.decode("utf-8")))
                reply = b'{"code":"SUCCESS"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def next(self, timeout=10):
        return self.received.get(timeout=timeout)

    def nothing_within(self, seconds):
        try:
            self.received.get(timeout=seconds)
            return False
        except queue.Empty:
            return True


def point_at(wxpay, base):
    """Sends the SDK to `base`: its gateway is the origin, and a mount prefix (e.g.
    `/sandbox/wechat`) is put in front of the API paths, so that the SDK signs and requests the
    same whole path. Paths that already carry it (bill downloads) are left alone."""
    parts = urllib.parse.urlsplit(base)
    prefix = parts.path.rstrip("/")
    wxpay._core._gate_way = f"{parts.scheme}://{parts.netloc}"
    if not prefix:
        return
    request = wxpay._core.request

    def prefixed(path, *args, **kwargs):
        return request(path if path.startswith(prefix + "/") else prefix + path, *args, **kwargs)

    wxpay._core.request = prefixed


def control(base, path, payload):
    request = urllib.request.Request(
        base + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def main():
    base, creds_path = sys.argv[1].rstrip("/"), sys.argv[2]
    with open(creds_path, encoding="utf-8") as f:
        creds = json.load(f)
    sub_mchid = creds["sub_mchid"]
    inbox = Inbox()

    wxpay = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=creds["mchid"],
        private_key=creds["private_key"],
        cert_serial_no=creds["cert_serial_no"],
        appid=creds["appid"],
        apiv3_key=creds["apiv3_key"],
        notify_url=inbox.url,
        partner_mode=True,
        public_key=creds["public_key"],
        public_key_id=creds["public_key_id"],
        timeout=(5, 20),
    )
    # The only change to the SDK: it talks to the sandbox, not api.mch.weixin.qq.com.
    point_at(wxpay, base)

    # Native order: create, repeat (idempotent), query, close.
    first = out_no("SDKN")
    expire = (datetime.now(timezone(timedelta(hours=8))) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    code, message = wxpay.pay(
        description="SDK 测试", out_trade_no=first, amount={"total": 1, "currency": "CNY"},
        time_expire=expire, sub_mchid=sub_mchid,
    )
    code_url = json.loads(message).get("code_url", "") if code == 200 else ""
    check("native pay → code_url", code == 200 and code_url.startswith("weixin://wxpay/bizpayurl"), message)
    code, message = wxpay.pay(
        description="SDK 测试", out_trade_no=first, amount={"total": 1, "currency": "CNY"},
        time_expire=expire, sub_mchid=sub_mchid,
    )
    check("repeated pay → same code_url", code == 200 and json.loads(message).get("code_url") == code_url, message)
    code, message = wxpay.query(out_trade_no=first, sub_mchid=sub_mchid)
    check("query → NOTPAY", code == 200 and json.loads(message)["trade_state"] == "NOTPAY", message)
    code, message = wxpay.close(out_trade_no=first, sub_mchid=sub_mchid)
    check("close → 204", code == 204, f"{code} {message}")
    code, message = wxpay.query(out_trade_no=first, sub_mchid=sub_mchid)
    check("query → CLOSED", code == 200 and json.loads(message)["trade_state"] == "CLOSED", message)
    code, message = wxpay.query(out_trade_no=out_no("NONE"), sub_mchid=sub_mchid)
    check("unknown order → 404 ORDER_NOT_EXIST", code == 404 and "ORDER_NOT_EXIST" in str(message), message)

    # JSAPI: prepay_id, and the SDK's own paySign helper.
    code, message = wxpay.pay(
        description="SDK JSAPI", out_trade_no=out_no("SDKJ"), amount={"total": 2},
        payer={"sp_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}, sub_mchid=sub_mchid, pay_type=WeChatPayType.JSAPI,
    )
    prepay_id = json.loads(message).get("prepay_id", "") if code == 200 else ""
    check("jsapi pay → prepay_id", prepay_id.startswith("wx"), message)
    check("SDK signs paySign", bool(wxpay.sign([creds["appid"], str(int(time.time())), "nonce", "prepay_id=" + prepay_id])))

    # Paid by the (simulated) payer → signed, encrypted notification, decrypted by the SDK.
    second = out_no("SDKP")
    code, message = wxpay.pay(description="SDK 支付", out_trade_no=second, amount={"total": 100}, sub_mchid=sub_mchid)
    check("second native pay", code == 200, message)
    check("simulate/pay → 200", control(base, "/simulate/pay", {"out_trade_no": second}) == 200)
    headers, body = inbox.next()
    result = wxpay.callback(headers, body)
    resource = (result or {}).get("resource", {})
    check("TRANSACTION.SUCCESS verified and decrypted",
          result is not None and result["event_type"] == "TRANSACTION.SUCCESS"
          and resource.get("out_trade_no") == second and resource.get("trade_state") == "SUCCESS"
          and resource.get("sub_mchid") == sub_mchid and resource.get("amount", {}).get("total") == 100, result)
    check("tampered notification refused", wxpay.callback(headers, body.replace("SUCCESS", "FAILED", 1)) is None)
    code, message = wxpay.query(out_trade_no=second, sub_mchid=sub_mchid)
    transaction_id = json.loads(message).get("transaction_id", "")
    check("query → SUCCESS", code == 200 and json.loads(message)["trade_state"] == "SUCCESS", message)
    code, message = wxpay.query(transaction_id=transaction_id, sub_mchid=sub_mchid)
    check("query by transaction_id", code == 200 and json.loads(message)["out_trade_no"] == second, message)

    # Refund, its query and its notification.
    refund_no = out_no("SDKR")
    code, message = wxpay.refund(
        out_refund_no=refund_no, amount={"refund": 40, "total": 100, "currency": "CNY"},
        out_trade_no=second, reason="SDK 退款", sub_mchid=sub_mchid,
    )
    check("refund accepted", code == 200 and json.loads(message)["status"] in ("PROCESSING", "SUCCESS"), message)
    check("refund answer carries the whole amount",
          code == 200 and sorted(json.loads(message)["amount"]) == REFUND_AMOUNT_KEYS, message)
    code, message = wxpay.refund(
        out_refund_no=out_no("SDKR"), amount={"refund": 61, "total": 100, "currency": "CNY"},
        out_trade_no=second, sub_mchid=sub_mchid,
    )
    check("refund above the rest refused", code == 400, f"{code} {message}")
    code, message = wxpay.query_refund(out_refund_no=refund_no, sub_mchid=sub_mchid)
    check("query_refund → SUCCESS", code == 200 and json.loads(message)["status"] == "SUCCESS", message)
    check("query_refund carries the whole amount",
          code == 200 and sorted(json.loads(message)["amount"]) == REFUND_AMOUNT_KEYS, message)
    headers, body = inbox.next()
    result = wxpay.callback(headers, body)
    resource = (result or {}).get("resource", {})
    check("REFUND.SUCCESS verified and decrypted",
          result is not None and result["event_type"] == "REFUND.SUCCESS"
          and resource.get("out_refund_no") == refund_no and resource.get("amount", {}).get("refund") == 40, result)
    check("refund notification amount as WeChat's",
          sorted(resource.get("amount", {})) == ["payer_refund", "payer_total", "refund", "total"], resource)

    # Barcode (codepay) and reverse.
    code, message = wxpay.pay(
        description="SDK 付款码", out_trade_no=out_no("SDKB"), amount={"total": 5},
        payer={"auth_code": "134567890123450000"}, sub_mchid=sub_mchid, pay_type=WeChatPayType.CODEPAY,
    )
    check("codepay → SUCCESS", code == 200 and json.loads(message)["trade_state"] == "SUCCESS", message)
    paying = out_no("SDKU")
    code, message = wxpay.pay(
        description="SDK 付款码", out_trade_no=paying, amount={"total": 5},
        payer={"auth_code": "134567890123451111"}, sub_mchid=sub_mchid, pay_type=WeChatPayType.CODEPAY,
    )
    check("codepay → USERPAYING", code == 200 and json.loads(message)["trade_state"] == "USERPAYING", message)
    code, message = wxpay.codepay_reverse(out_trade_no=paying, sub_mchid=sub_mchid)
    check("codepay_reverse → 2xx", 200 <= code < 300, f"{code} {message}")
    code, message = wxpay.query(out_trade_no=paying, sub_mchid=sub_mchid)
    check("query → REVOKED", code == 200 and json.loads(message)["trade_state"] == "REVOKED", message)

    # The sub-merchant's own app is accepted; another one is refused.
    code, message = wxpay.pay(
        description="SDK 子商户应用", out_trade_no=out_no("SDKS"), amount={"total": 3},
        payer={"sub_openid": "oSubOpenid000000000000000000"}, sub_mchid=sub_mchid, sub_appid=creds["sub_appid"],
        pay_type=WeChatPayType.JSAPI,
    )
    check("jsapi with the sub-merchant's sub_appid", code == 200 and "prepay_id" in json.loads(message), message)
    code, message = wxpay.pay(
        description="SDK 子商户应用", out_trade_no=out_no("SDKS"), amount={"total": 3},
        payer={"sub_openid": "oSubOpenid000000000000000000"}, sub_mchid=sub_mchid, sub_appid="wx0000000000000000",
        pay_type=WeChatPayType.JSAPI,
    )
    check("another sub_appid → 400 PARAM_ERROR", code == 400 and "PARAM_ERROR" in str(message), f"{code} {message}")

    # A lost reply: the SDK's call fails, but the order was closed.
    lost = out_no("SDKL")
    code, message = wxpay.pay(description="SDK 丢失应答", out_trade_no=lost, amount={"total": 4}, sub_mchid=sub_mchid)
    check("order for a lost reply", code == 200, message)
    check("fail-next lost_reply → 200", control(base, "/simulate/fail-next", {"count": 1, "mode": "lost_reply"}) == 200)
    try:
        code, message = wxpay.close(out_trade_no=lost, sub_mchid=sub_mchid)
        check("lost reply → the call fails", False, f"answered {code} {message}")
    except Exception as err:  # requests' ConnectionError / ChunkedEncodingError
        check("lost reply → the call fails", True, str(err))
    code, message = wxpay.query(out_trade_no=lost, sub_mchid=sub_mchid)
    check("…but the order was closed", code == 200 and json.loads(message)["trade_state"] == "CLOSED", message)

    # A payment whose notification is lost: paid, and nothing is sent.
    quiet = out_no("SDKQ")
    code, message = wxpay.pay(description="SDK 无通知", out_trade_no=quiet, amount={"total": 6}, sub_mchid=sub_mchid)
    check("simulate/pay notify=false → 200",
          control(base, "/simulate/pay", {"out_trade_no": quiet, "notify": False}) == 200)
    code, message = wxpay.query(out_trade_no=quiet, sub_mchid=sub_mchid)
    check("…paid", code == 200 and json.loads(message)["trade_state"] == "SUCCESS", message)
    check("…and no notification", inbox.nothing_within(1.5))

    # Trade bill: today's is not ready (WeChat makes day D's bill on D+1 from 10:00).
    today = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")
    code, message = wxpay.trade_bill(bill_date=today, sub_mchid=sub_mchid)
    check("today's bill → 400 NO_STATEMENT_EXIST", code == 400 and "NO_STATEMENT_EXIST" in str(message),
          f"{code} {message}")
    # A ready day: link (signed answer), then the file (unsigned, gzip as the SDK asks, checked by
    # the SHA1 of the unpacked file, UTF-8 with a BOM).
    if creds.get("bill_date"):
        code, message = wxpay.trade_bill(bill_date=creds["bill_date"], sub_mchid=sub_mchid)
        link = json.loads(message) if code == 200 else {}
        check("trade_bill → download_url", link.get("download_url", "").startswith(base), message)
        if link:
            code, content = wxpay.download_bill(link["download_url"])
            original = gzip.decompress(content) if code == 200 else b""
            digest = hashlib.sha1(original).hexdigest()
            text = original.decode("utf-8")
            check("bill file is gzip and matches hash_value", code == 200 and digest == link["hash_value"],
                  f"{code} {digest}")
            check("bill starts with a BOM and lists the paid order",
                  text.startswith("\ufeff交易时间,") and f"`{creds['bill_out_trade_no']}" in text, text[:200])

    # A request signed with another merchant's key is refused by the sandbox.
    forged = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE, mchid=creds["mchid"], private_key=other_private_key(),
        cert_serial_no=creds["cert_serial_no"], appid=creds["appid"], apiv3_key=creds["apiv3_key"],
        notify_url=inbox.url, partner_mode=True, public_key=creds["public_key"],
        public_key_id=creds["public_key_id"], timeout=(5, 20),
    )
    point_at(forged, base)
    code, message = forged.query(out_trade_no=second, sub_mchid=sub_mchid)
    check("wrong key → 401 SIGN_ERROR", code == 401 and "SIGN_ERROR" in str(message), f"{code} {message}")

    failed = sum(1 for _, ok in CHECKS if not ok)
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


def other_private_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


if __name__ == "__main__":
    sys.exit(main())
