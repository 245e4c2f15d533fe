#!/usr/bin/env python3
"""Call juhe's signed Open API from the shell (stdlib only).

    python3 scripts/open_api.py METHOD PATH [JSON_BODY]

Credentials come from the demo output (data/demo.json, written by `make run`) unless APP_ID and
APP_SECRET are set; BASE_URL defaults to the demo's base_url. In the body, $MERCHANT_NO and
$STORE_ID are replaced by the demo merchant's. The response signature is verified and the body
printed; the exit code is 0 for 2xx answers.
"""
import base64, hashlib, hmac, json, os, sys, time, uuid, urllib.error, urllib.request

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    method, path = sys.argv[1].upper(), sys.argv[2]
    body = sys.argv[3] if len(sys.argv) > 3 else ""
    demo = {}
    demo_file = os.environ.get("JUHE_DEMO_FILE", "data/demo.json")
    if os.path.exists(demo_file):
        with open(demo_file, encoding="utf-8") as f:
            demo = json.load(f)
    merchant = demo.get("merchant", {})
    app_id = os.environ.get("APP_ID") or merchant.get("app_id")
    secret = os.environ.get("APP_SECRET") or merchant.get("app_secret")
    base = os.environ.get("BASE_URL") or demo.get("base_url") or "http://127.0.0.1:8080"
    if not app_id or not secret:
        sys.exit("no credentials: run `make run` first or set APP_ID and APP_SECRET")
    body = body.replace("$MERCHANT_NO", merchant.get("merchant_no", "")).replace("$STORE_ID", merchant.get("store_id", ""))
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    message = f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n".encode()
    sig = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    auth = f'JUHE-HMAC-SHA256 app_id="{app_id}",timestamp="{ts}",nonce="{nonce}",signature="{sig}"'
    req = urllib.request.Request(base + path, data=body.encode() if body else None, method=method,
                                 headers={"Authorization": auth, "Content-Type": "application/json"})
    try:
        resp = urllib.request.urlopen(req, timeout=30)
    except urllib.error.HTTPError as e:
        resp = e
    raw = resp.read()
    headers = resp.headers
    signed = f"{headers.get('Juhe-Timestamp')}\n{headers.get('Juhe-Nonce')}\n".encode() + raw + b"\n"
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    verified = hmac.compare_digest(expected, headers.get("Juhe-Signature") or "")
    print(raw.decode("utf-8", "replace"))
    print(f"# HTTP {resp.status}, response signature {'verified' if verified else 'NOT verified'}", file=sys.stderr)
    sys.exit(0 if 200 <= resp.status < 300 else 1)

if __name__ == "__main__":
    main()
