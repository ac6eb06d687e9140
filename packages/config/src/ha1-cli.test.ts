import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { parse, stringify } from "yaml";
import { formatUserEntry } from "./ha1-entry.js";
import { parseConfig } from "./parse-config.js";

const CLI = fileURLToPath(new URL("./ha1-cli.js", import.meta.url));

function run(args: readonly string[], input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", input: input ?? "" });
}

/** Puts the printed users: entry into a config for `domain` and validates it. */
function loadPrinted(domain: string, printed: string) {
  const users: unknown = parse(printed);
  const config = parseConfig(stringify({ domains: [{ name: domain, users }] }), "printed.yaml", {});
  return config.domains.get(domain);
}

describe("sipfleet-ha1", () => {
  it("prints a users: entry that the config accepts, with the HA1s of user:domain:password", () => {
    const result = run(["alice", "sipfleet.local", "alice-secret"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, "");
    const ha1 = loadPrinted("sipfleet.local", result.stdout)?.users.get("alice")?.ha1;
    assert.deepEqual(ha1, {
      MD5: computeHa1("alice", "sipfleet.local", "alice-secret", "MD5"),
      "SHA-256": computeHa1("alice", "sipfleet.local", "alice-secret", "SHA-256"),
    });
    assert.ok(!result.stdout.includes("alice-secret"), "the password must not be printed");
  });

  it("reads the password from the first line of stdin when it is not an argument", () => {
    for (const args of [["bob", "example.test"], ["bob", "example.test", "-"]]) {
      const result = run(args, "p@ss word\nignored\n");
      assert.equal(result.status, 0, result.stderr);
      const ha1 = loadPrinted("example.test", result.stdout)?.users.get("bob")?.ha1;
      assert.equal(ha1?.MD5, computeHa1("bob", "example.test", "p@ss word", "MD5"));
    }
  });

  it("quotes user names YAML would otherwise misread", () => {
    for (const user of ["*alias", "&anchor", "!tag", "?x", "123", "true", "a,b", "'q'"]) {
      const result = run([user, "example.test", "pw"]);
      assert.equal(result.status, 0, result.stderr);
      const ha1 = loadPrinted("example.test", result.stdout)?.users.get(user)?.ha1;
      assert.equal(ha1?.["SHA-256"], computeHa1(user, "example.test", "pw", "SHA-256"), user);
    }
  });

  it("refuses names the config would refuse, and an empty password, with exit status 2", () => {
    const cases: [string[], string][] = [
      [["Al ice", "example.test", "pw"], "sipfleet-ha1: user: may contain only letters"],
      [["alice", "Example.Test", "pw"], "sipfleet-ha1: domain: must be lower-case"],
      [["alice", "example.test", ""], "sipfleet-ha1: password: must not be empty"],
    ];
    for (const [args, message] of cases) {
      const result = run(args);
      assert.equal(result.status, 2, args.join(" "));
      assert.ok(result.stderr.startsWith(message), result.stderr);
      assert.equal(result.stdout, "");
    }
  });

  it("prints the usage on bad arguments (status 2) and on --help (status 0)", () => {
    const bad = run(["alice"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^usage: sipfleet-ha1 <user> <domain> \[password\]/);
    const help = run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: sipfleet-ha1/);
  });
});

describe("formatUserEntry", () => {
  it("quotes the hex so that it can never be read as a number", () => {
    const text = formatUserEntry("carol", "sipfleet.local", "carol-secret");
    assert.match(text, /^ {4}md5: "[0-9a-f]{32}"$/m);
    assert.match(text, /^ {4}sha256: "[0-9a-f]{64}"$/m);
  });

  it("throws RangeError for a bad name", () => {
    assert.throws(() => formatUserEntry("a b", "sipfleet.local", "x"), RangeError);
  });
});
