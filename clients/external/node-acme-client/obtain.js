// obtain.js DIRECTORY_URL DOMAINS WORKDIR - one certificate with the npm
// package acme-client (5.4.0, pinned by package-lock.json beside this
// file), for `acmefuzz suite --client node-acme-client`.
//
// DOMAINS is comma-separated; the first is the CSR's common name and all of
// them are its subjectAltNames. The driver uses the package's own "auto"
// flow, as its README shows, with http-01 only: every token goes into
// WORKDIR/webroot/.well-known/acme-challenge/, which the suite publishes on
// 127.0.0.1:{http_port} (the adapter sets serve_webroot).
// skipChallengeVerification: acme-client's own pre-check would resolve the
// name over real DNS and fetch http://<name>/ from the Internet.
//
// Trust comes from NODE_EXTRA_CA_CERTS (Node reads it at start-up). The
// account key is kept in WORKDIR/account.pem so a rerun of a scenario with
// "attempts N" comes back with the same account, as a cron job would.
//
// Exit status: 0 with WORKDIR/cert.pem written; 1 with the error on stderr;
// 2 for a usage error.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(msg) {
    process.stderr.write(`obtain.js: ${msg}\nusage: obtain.js DIRECTORY_URL DOMAINS WORKDIR\n`);
    process.exit(2);
}

let acme;
try {
    acme = require('acme-client');
} catch (e) {
    process.stderr.write(`obtain.js: the npm package acme-client is not installed (${e.message}); `
        + `run ${path.join(__dirname, 'install.sh')}\n`);
    process.exit(2);
}

async function accountKey(file) {
    if (fs.existsSync(file))
        return fs.readFileSync(file);
    const key = await acme.crypto.createPrivateKey();
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
}

async function main() {
    const [directoryUrl, domainList, workdir] = process.argv.slice(2);
    if (!directoryUrl || !domainList || !workdir || process.argv.length !== 5)
        usage('three arguments wanted');
    const domains = domainList.split(',').filter((d) => d.length > 0);
    if (domains.length === 0)
        usage('no domain');
    const challengeDir = path.join(workdir, 'webroot', '.well-known', 'acme-challenge');
    fs.mkdirSync(challengeDir, { recursive: true });

    acme.setLogger((msg) => process.stderr.write(`acme-client: ${msg}\n`));
    const client = new acme.Client({
        directoryUrl,
        accountKey: await accountKey(path.join(workdir, 'account.pem')),
    });
    const [certKey, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains });
    fs.writeFileSync(path.join(workdir, 'cert-key.pem'), certKey, { mode: 0o600 });

    // The token is a base64url string (RFC 8555 8.3), but it comes from the
    // server under test: never let it name a path outside the directory.
    const tokenFile = (challenge) => {
        if (!/^[A-Za-z0-9_-]+$/.test(challenge.token || ''))
            throw new Error(`refusing challenge token ${JSON.stringify(challenge.token)}`);
        return path.join(challengeDir, challenge.token);
    };
    const cert = await client.auto({
        csr,
        email: 'acmefuzz@example.com',
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
            if (challenge.type !== 'http-01')
                throw new Error(`no http-01 challenge for ${authz.identifier.value}`);
            fs.writeFileSync(tokenFile(challenge), keyAuthorization);
        },
        challengeRemoveFn: async (authz, challenge) => {
            if (challenge.type === 'http-01')
                fs.rmSync(tokenFile(challenge), { force: true });
        },
    });
    fs.writeFileSync(path.join(workdir, 'cert.pem'), cert);
    process.stderr.write(`obtain.js: certificate for ${domains.join(', ')} in ${path.join(workdir, 'cert.pem')}\n`);
}

main().then(
    () => process.exit(0),
    (e) => {
        process.stderr.write(`obtain.js: failed: ${e && e.stack ? e.stack : e}\n`);
        process.exit(1);
    },
);
