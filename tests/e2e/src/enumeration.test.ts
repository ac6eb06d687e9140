// Enumeration (docs/security.md): SIPVicious svwar against cluster mode, for REGISTER, OPTIONS and
// INVITE, with a wordlist of users the digest domain has (alice, bob) and does not have; and the
// probe svwar cannot make (a caller of another domain, whom the proxy does not challenge), sent by
// hand. Neither may tell the existing names from the missing ones.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAuthorization } from "@sipfleet/sip";
import { freePort, hasBinary } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN } from "./fixtures.js";
import { UdpSipClient } from "./sip-udp-client.js";

const SVWAR = ["svwar", "sipvicious_svwar"].find(hasBinary);
const skipSvwar = SVWAR === undefined ? "svwar is not installed (Debian package sipvicious)" : false;
const EXISTING = ["alice", "bob"];
const MISSING = ["mallory", "trent", "100", "admin"];
const WORDLIST = [...EXISTING, ...MISSING];

interface SvwarRun {
  readonly output: string;
  /** Requests svwar logged sending, its first probe for a random name included. */
  readonly sent: number;
  /** The rows of its result table. */
  readonly found: readonly string[];
}

async function svwar(method: string, edgePort: number, wordlist: string): Promise<SvwarRun> {
  // --force: without it svwar stops at its first probe already, because a random name is
  // challenged like any other; -vv logs each request it sends; -P: a port of its own, so that
  // responses retransmitted to an earlier run cannot reach it.
  const args = ["--force", "-vv", "-P", String(await freePort()), "-m", method, "-d", wordlist, "--domain", DIGEST_DOMAIN, "-p", String(edgePort), "127.0.0.1"];
  const output = await new Promise<string>((resolve, reject) => {
    execFile(SVWAR!, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null && err.killed) reject(new Error(`svwar ${method} did not finish: ${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
  const sent = 1 + (output.match(/sending request for /g)?.length ?? 0);
  const found = [...output.matchAll(/^\| *(\S+) *\| *(\S+) *\|$/gm)].map((m) => m[1]!).filter((ext) => ext !== "Extension");
  return { output, sent, found };
}

function firstLine(response: string): string {
  return response.split("\r\n", 1)[0]!;
}

/** A request from a caller of a domain the platform does not serve. */
function fromOutside(method: string, user: string): string[] {
  return [
    `${method} sip:${user}@${DIGEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport`,
    `Max-Forwards: 70`,
    `From: <sip:eve@example.org>;tag=eve-${method}`,
    `To: <sip:${user}@${DIGEST_DOMAIN}>`,
    `Call-ID: enum-${method}-${user}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:eve@127.0.0.1:{port}>`,
    `Content-Length: 0`,
    ``,
    ``,
  ];
}

function register(user: string, cseq: number, authorization?: string): string[] {
  return [
    `REGISTER sip:${DIGEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport`,
    `Max-Forwards: 70`,
    `From: <sip:${user}@${DIGEST_DOMAIN}>;tag=r${cseq}`,
    `To: <sip:${user}@${DIGEST_DOMAIN}>`,
    `Call-ID: enum-register-${user}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@127.0.0.1:{port}>`,
    ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
    `Content-Length: 0`,
    ``,
    ``,
  ];
}

describe("enumeration: existing and missing users get the same answers (cluster mode)", () => {
  let t: TestCluster;
  let wordlist: string;

  before(async () => {
    t = await startTestCluster({ edges: 1, registrars: 1, locations: 1 });
    wordlist = join(mkdtempSync(join(tmpdir(), "sipfleet-enum-")), "words.txt");
    writeFileSync(wordlist, `${WORDLIST.join("\n")}\n`);
  });
  after(async () => {
    await t.stop();
  });

  for (const method of ["REGISTER", "OPTIONS", "INVITE"]) {
    it(`svwar -m ${method} finds no extension`, { skip: skipSvwar }, async () => {
      const run = await svwar(method, t.edgePorts[0]!, wordlist);
      console.log(
        `svwar -m ${method} --force, wordlist ${WORDLIST.join(",")}: ${run.sent} requests sent, ${run.found.length} extensions found${run.found.length > 0 ? ` (${run.found.join(", ")})` : ""}${
          // svwar stops at the first answer it cannot classify: a challenge equal to its random name's.
          /unknown response/.test(run.output) ? "; svwar gave up: the first name got the answer its random name got" : ""
        }`,
      );
      // It reached the platform and read its answer (else finding nothing would prove nothing).
      assert.match(run.output, /Ok SIP device found/, run.output);
      assert.ok(run.sent >= 2, `svwar sent its probe and at least one name\n${run.output}`);
      assert.deepEqual(run.found, [], run.output);
    });
  }

  for (const method of ["OPTIONS", "INVITE", "MESSAGE"]) {
    it(`answers a ${method} from another domain alike for every name (what svwar cannot send)`, async () => {
      const client = await UdpSipClient.open();
      try {
        const lines: string[] = [];
        for (const user of WORDLIST) lines.push(firstLine(await client.request(t.edgePorts[0]!, fromOutside(method, user))));
        console.log(`${method} from sip:eve@example.org: ${WORDLIST.length} requests, answers: ${[...new Set(lines)].join(" | ")}`);
        assert.deepEqual(new Set(lines), new Set(["SIP/2.0 480 Temporarily Unavailable"]), WORDLIST.map((u, i) => `${u}: ${lines[i]}`).join("\n"));
      } finally {
        client.close();
      }
    });
  }

  it("answers REGISTER alike for every name: the same 401, then the same 403 after credentials", async () => {
    const client = await UdpSipClient.open();
    try {
      const challenges: string[] = [];
      const finals: string[] = [];
      for (const user of WORDLIST) {
        const challenge = await client.request(t.edgePorts[0]!, register(user, 1));
        // The header names and the challenge without its nonce (random salt) must not differ.
        challenges.push(challenge.split("\r\n").filter((l) => /^(SIP\/2\.0|WWW-Authenticate)/i.test(l)).map((l) => l.replace(/nonce="[^"]*"/, "")).join("\n"));
        const www = /^WWW-Authenticate: (.*)$/im.exec(challenge)?.[1];
        assert.ok(www !== undefined, challenge);
        const authorization = buildAuthorization({ challenge: www, username: user, password: "guess", method: "REGISTER", uri: `sip:${DIGEST_DOMAIN}` });
        finals.push(firstLine(await client.request(t.edgePorts[0]!, register(user, 2, authorization))));
      }
      console.log(`REGISTER: ${WORDLIST.length * 2} requests, ${new Set(challenges).size} distinct challenge(s), final answers: ${[...new Set(finals)].join(" | ")}`);
      assert.equal(new Set(challenges).size, 1, challenges.join("\n---\n"));
      assert.match(challenges[0]!, /^SIP\/2\.0 401 /);
      assert.deepEqual(new Set(finals), new Set(["SIP/2.0 403 Forbidden"]), finals.join("\n"));
    } finally {
      client.close();
    }
  });
});
