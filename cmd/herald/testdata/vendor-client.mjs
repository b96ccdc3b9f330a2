// A Mopay client written from the vendor's documentation alone: registration
// per the user-authentication page, and the signature exactly as the
// authentication page's JavaScript sample computes it. It shares no code with
// Herald. Usage: node vendor-client.mjs <mopay base URL ending in />
import crypto from 'node:crypto';

const base = process.argv[2];
const headersFor = (pbcKey, signature, timestamp) => ({
  'MPY-SECUREKEY': pbcKey,
  'MPY-TIMESTAMP': timestamp,
  'MPY-REQSIGNAL': signature,
  'Content-Type': 'application/json',
});

const email = `node.${Date.now()}@example.com`;
const reg = await fetch(`${base}?req=user_profile_create`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ fsnm: 'John', lsnm: 'Doe', emal: email, pswd: 'SecureP@ssw0rd',
    devt: 'Web', devs: 'node-client', devn: "John's laptop" }),
});
const regBody = await reg.json();
const { pbcKey, secret } = regBody.DATA;

// The vendor's sample, verbatim.
const timestamp = Math.floor(Date.now() / 1000).toString();
const timestampObj = { timestamp };
const signature = crypto
  .createHmac('sha512', secret)
  .update(JSON.stringify(timestampObj))
  .digest('hex');

const ok = await fetch(`${base}user_notice_fetch`, { headers: headersFor(pbcKey, signature, timestamp) });
const okBody = await ok.json();

// The common mistake: the prose's {"timestamp": "…"} with a space.
const spaced = crypto.createHmac('sha512', secret).update(`{"timestamp": "${timestamp}"}`).digest('hex');
const bad = await fetch(`${base}user_notice_fetch`, { headers: headersFor(pbcKey, spaced, timestamp) });
const badBody = await bad.json();

console.log(JSON.stringify({
  register: reg.status,
  signed: ok.status, signedStatus: okBody.REQUEST.STATUS,
  spaced: bad.status, spacedError: badBody.ERRORS && badBody.ERRORS.MSG,
}));
