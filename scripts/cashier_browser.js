// Walks the one-code-pay cashier in real headless Chromium, as a WeChat payer and as a desktop
// browser, and fails on any page error, failed request or missing step. A manual check, not part
// of CI (it needs Chromium): see README "One-code pay".
//
//   npm install --prefix /tmp/pw playwright-core && apt-get install chromium
//   NODE_PATH=/tmp/pw/node_modules node scripts/cashier_browser.js http://127.0.0.1:8080/cashier/<code>
const { chromium } = require('playwright-core');

const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log('ok -', what);
}

(async () => {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node scripts/cashier_browser.js <cashier URL>');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const problems = [];
  const open = async (name, ua) => {
    const ctx = await browser.newContext({ userAgent: ua, viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    page.on('pageerror', e => problems.push(`${name}: ${e.message}`));
    page.on('response', r => { if (r.status() >= 400) problems.push(`${name}: ${r.status()} ${r.url()}`); });
    await page.goto(url, { waitUntil: 'load' });
    return page;
  };
  try {
    const payer = await open('wechat', WECHAT_UA);
    check(payer.url().includes('state='), 'the WeChat payer came back from the OAuth step with a state');
    await payer.fill('input', '12.34');
    await payer.click('button');
    await payer.waitForFunction(() => /模拟付款/.test(document.body.innerText), null, { timeout: 10000 });
    check(true, 'an order was created and the sandbox offers to pay it');
    await payer.click('button');
    await payer.waitForURL(/\/cashier\/r\//, { timeout: 10000 });
    await payer.waitForFunction(() => /支付成功/.test(document.body.innerText), null, { timeout: 15000 });
    check((await payer.innerText('body')).includes('12.34'), 'the result page shows 支付成功 and the amount');
    const desktop = await open('desktop', DESKTOP_UA);
    const text = await desktop.innerText('body');
    check(/微信/.test(text) && /支付宝/.test(text), 'a desktop browser is told which wallets work');
    check(problems.length === 0, `no page errors or failed requests ${JSON.stringify(problems)}`);
  } finally {
    await browser.close();
  }
})().catch(e => { console.error('FAILED:', e.message); process.exit(1); });
