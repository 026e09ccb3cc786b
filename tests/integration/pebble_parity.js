// pebble_parity.js MODE DIRECTORY_URL OUTDIR [ARGS] - the node half of
// tests/integration/pebble_parity.sh: drives the npm package acme-client
// (5.4.0, from clients/external/node-acme-client; NODE_PATH names its
// node_modules) through its whole API against one server, Pebble or
// `acmefuzz serve`, and writes what it saw as OUTDIR/node.json: one
// member per step, each a short normalized outcome (statuses, problem
// types, counts; never a URL, serial or key), so the two servers' files
// can be compared member by member.
//
//   MODE api ALT_ROOT_CN   account create / create again / contact update
//                          / key change (to RSA) / the old key refused;
//                          an order of two names and a wildcard (http-01,
//                          dns-01 for the wildcard; the server accepts
//                          every challenge), finalize, the default chain
//                          and the one under ALT_ROOT_CN (preferredChain);
//                          authorization deactivation; the orders list;
//                          revocation, a second revocation, the
//                          certificate URL afterwards; account
//                          deactivation and an order after it.
//                          Certificates land in OUTDIR/node-default.pem
//                          and OUTDIR/node-preferred.pem for the shell to
//                          verify against the served roots.
//   MODE eab KID HMAC      externalAccountBindingRequired: no binding, a
//                          wrong MAC key, an unknown kid, the right one.
//
// Trust: NODE_EXTRA_CA_CERTS. Exit status 0 when every step ran (a step
// the server refused is an outcome, not a failure); 1 on a crash of the
// driver; 2 usage.
'use strict';

const fs = require('fs');
const path = require('path');
const acme = require('acme-client');
const HttpClient = require('acme-client/src/http');

// acme-client's errors carry the problem's detail only: remember the last
// signed request's answer for its status and problem type.
let last = null;
const signedRequest = HttpClient.prototype.signedRequest;
HttpClient.prototype.signedRequest = async function recorded(...args) {
    const resp = await signedRequest.apply(this, args);
    last = { status: resp.status, type: resp.data && resp.data.type ? String(resp.data.type) : '' };
    // every answer in the log, for the one reading a difference
    process.stderr.write(`${args[0]} -> ${resp.status} ${JSON.stringify(resp.data).slice(0, 300)}\n`);
    return resp;
};

const out = {};
const record = (step, value) => {
    out[step] = value;
};
// A refusal is recorded as "error:<problem type without its urn>/<HTTP status>".
const errorOutcome = (e) => {
    if (last && last.status >= 400)
        return `error:${last.type.replace('urn:ietf:params:acme:error:', '') || '-'}/${last.status}`;
    return `error:${e && e.message ? e.message.split('\n')[0] : e}`;
};
// Run a step; its outcome is what fn returns, or the refusal.
async function step(name, fn) {
    last = null;
    process.stderr.write(`== ${name}\n`);
    try {
        record(name, await fn());
    } catch (e) {
        record(name, errorOutcome(e));
    }
}

const fast = { backoffAttempts: 30, backoffMin: 100, backoffMax: 1000 };

function sameKey(jwk, key) {
    if (!jwk || typeof jwk !== 'object')
        return 'absent';
    const fields = key.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
    return fields.every((f) => jwk[f] === key[f]) ? 'match' : 'differs';
}

async function api(dir, outdir, altCn) {
    const key1 = await acme.crypto.createPrivateEcdsaKey();
    const key2 = await acme.crypto.createPrivateRsaKey(2048);
    const client = new acme.Client({ directoryUrl: dir, accountKey: key1, ...fast });

    await step('directory', async () => {
        const d = await client.http.getDirectory();
        return `${Object.keys(d).sort().join(',')} meta=${Object.keys(d.meta || {}).sort().join(',')}`;
    });
    await step('account.create', async () => {
        const a = await client.createAccount({
            termsOfServiceAgreed: true,
            contact: ['mailto:first@example.com'],
        });
        return `${a.status} contact=${(a.contact || []).join(',')} key=${sameKey(a.key, client.http.getJwk())}`
            + ` orders=${typeof a.orders === 'string' ? 'url' : 'absent'}`;
    });
    const accountUrl = client.getAccountUrl();
    await step('account.create-again', async () => {
        const again = new acme.Client({ directoryUrl: dir, accountKey: key1, ...fast });
        const a = await again.createAccount({ termsOfServiceAgreed: true });
        return `${a.status} same-url=${again.getAccountUrl() === accountUrl}`;
    });
    await step('account.only-return-existing.unknown', async () => {
        const other = new acme.Client({
            directoryUrl: dir,
            accountKey: await acme.crypto.createPrivateEcdsaKey(),
            ...fast,
        });
        const a = await other.createAccount({ onlyReturnExisting: true });
        return `${a.status}`;
    });
    await step('account.update-contact', async () => {
        const a = await client.updateAccount({ contact: ['mailto:second@example.com'] });
        return `${a.status} contact=${(a.contact || []).join(',')}`;
    });
    await step('account.key-change', async () => {
        const a = await client.updateAccountKey(key2);
        return `${a.status} key=${sameKey(a.key, client.http.getJwk())}`;
    });
    await step('account.after-key-change', async () => {
        const a = await client.updateAccount();
        return `${a.status} same-url=${client.getAccountUrl() === accountUrl}`
            + ` key=${sameKey(a.key, client.http.getJwk())}`;
    });
    await step('account.old-key', async () => {
        const old = new acme.Client({ directoryUrl: dir, accountKey: key1, ...fast });
        const a = await old.createAccount({ onlyReturnExisting: true });
        return `${a.status}`;
    });

    // One order: two names and a wildcard.
    const names = ['p1.example.com', 'p2.example.com', '*.wild.example.com'];
    let order = null;
    await step('order.create', async () => {
        order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
        return `${order.status} identifiers=${order.identifiers.length} authorizations=${order.authorizations.length}`;
    });
    if (order) {
        const authzs = await client.getAuthorizations(order);
        record('order.authorizations', authzs
            .map((a) => `${a.identifier.value}${a.wildcard ? '(wildcard)' : ''}:${a.status}:`
                + `${a.challenges.map((c) => c.type).sort().join('+')}`)
            .sort().join(' '));
        await step('order.challenges', async () => {
            const got = [];
            for (const a of authzs) {
                const want = a.wildcard ? 'dns-01' : 'http-01';
                const ch = a.challenges.find((c) => c.type === want);
                if (a.status === 'valid') {
                    got.push('reused');
                    continue;
                }
                await client.getChallengeKeyAuthorization(ch);
                await client.completeChallenge(ch);
                const done = await client.waitForValidStatus(ch);
                const az = await client.waitForValidStatus(a);
                got.push(`${want}:${done.status}/${az.status}`);
            }
            return got.sort().join(' ');
        });
        await step('order.ready', async () => (await client.waitForValidStatus(order)).status);
        const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names });
        await step('order.finalize', async () => {
            order = await client.finalizeOrder(order, csr);
            return `${order.status} certificate=${typeof order.certificate === 'string' ? 'url' : 'absent'}`;
        });
        let pem = null;
        await step('order.certificate', async () => {
            pem = await client.getCertificate(order);
            fs.writeFileSync(path.join(outdir, 'node-default.pem'), pem);
            const info = acme.crypto.readCertificateInfo(pem);
            return `certs=${acme.crypto.splitPemChain(pem).length} sans=${info.domains.altNames.slice().sort().join(',')}`;
        });
        await step('order.preferred-chain', async () => {
            const alt = await client.getCertificate(order, altCn);
            fs.writeFileSync(path.join(outdir, 'node-preferred.pem'), alt);
            const issuers = acme.crypto.splitPemChain(alt).map((c) => acme.crypto.readCertificateInfo(c).issuer.commonName);
            return `certs=${issuers.length} top-issuer-is-preferred=${issuers[issuers.length - 1] === altCn}`;
        });
        await step('order.valid', async () => {
            order = await client.getOrder(order);
            return `${order.status} certificate=${typeof order.certificate === 'string' ? 'url' : 'absent'}`;
        });

        // Revocation, twice, and the certificate URL afterwards
        await step('revoke', async () => {
            await client.revokeCertificate(pem, { reason: 4 });
            return 'ok';
        });
        await step('revoke.again', async () => {
            await client.revokeCertificate(pem, { reason: 4 });
            return 'ok';
        });
        await step('revoke.certificate-url', async () => {
            const r = await client.api.apiRequest(order.certificate, null, [200, 404]);
            return `${r.status}`;
        });
    }

    // Authorization deactivation
    await step('authz.deactivate', async () => {
        const o = await client.createOrder({ identifiers: [{ type: 'dns', value: 'deact.example.com' }] });
        const [a] = await client.getAuthorizations(o);
        const d = await client.deactivateAuthorization(a);
        const o2 = await client.getOrder(o);
        return `authz=${d.status} order=${o2.status}`;
    });

    // The orders list (RFC 8555 7.1.2.1)
    await step('account.orders', async () => {
        const a = await client.updateAccount();
        if (typeof a.orders !== 'string')
            return 'no orders url';
        const r = await client.api.apiRequest(a.orders, null, [200]);
        const list = r.data && Array.isArray(r.data.orders) ? r.data.orders : null;
        return list ? `200 orders=${list.length}` : `${r.status} no orders array`;
    });

    // Account deactivation, then an order with the deactivated account
    await step('account.deactivate', async () => {
        const a = await client.updateAccount({ status: 'deactivated' });
        return a.status;
    });
    await step('account.after-deactivate.order', async () => {
        const o = await client.createOrder({ identifiers: [{ type: 'dns', value: 'late.example.com' }] });
        return o.status;
    });
}

async function eab(dir, kid, hmac) {
    const attempt = async (binding) => {
        const c = new acme.Client({
            directoryUrl: dir,
            accountKey: await acme.crypto.createPrivateEcdsaKey(),
            externalAccountBinding: binding,
            ...fast,
        });
        const a = await c.createAccount({ termsOfServiceAgreed: true });
        return a.status;
    };
    await step('eab.meta', async () => {
        const c = new acme.Client({ directoryUrl: dir, accountKey: await acme.crypto.createPrivateEcdsaKey() });
        const d = await c.http.getDirectory();
        return `externalAccountRequired=${Boolean(d.meta && d.meta.externalAccountRequired === true)}`;
    });
    await step('eab.none', () => attempt({}));
    // a valid base64url key that is not the configured one
    await step('eab.wrong-mac', () => attempt({ kid, hmacKey: 'd3JvbmctbWFjLWtleS1mb3ItdGhlLXRlc3Q' }));
    await step('eab.unknown-kid', () => attempt({ kid: 'no-such-kid', hmacKey: hmac }));
    await step('eab.right', () => attempt({ kid, hmacKey: hmac }));
}

async function main() {
    const [mode, dir, outdir, a1, a2] = process.argv.slice(2);
    if (!mode || !dir || !outdir || (mode === 'api' && !a1) || (mode === 'eab' && (!a1 || !a2))
        || !['api', 'eab'].includes(mode)) {
        process.stderr.write('usage: pebble_parity.js api DIR OUTDIR ALT_ROOT_CN | eab DIR OUTDIR KID HMAC\n');
        process.exit(2);
    }
    if (mode === 'api')
        await api(dir, outdir, a1);
    else
        await eab(dir, a1, a2);
    fs.writeFileSync(path.join(outdir, `node-${mode}.json`), `${JSON.stringify(out, null, 1)}\n`);
}

main().then(
    () => process.exit(0),
    (e) => {
        process.stderr.write(`pebble_parity.js: ${e && e.stack ? e.stack : e}\n`);
        process.exit(1);
    },
);
