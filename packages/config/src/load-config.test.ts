import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError } from "./errors.js";
import { loadConfig, resolveConfigPath } from "./load-config.js";

const VALID = "domains: [ { name: a.test, authentication: none } ]\n";

describe("resolveConfigPath / loadConfig", () => {
  let root: string;
  let nested: string;

  before(() => {
    // A fake repository: the marker file, the default config, and a directory deeper down.
    root = mkdtempSync(join(tmpdir(), "sipfleet-config-"));
    writeFileSync(join(root, "pnpm-workspace.yaml"), "packages: []\n");
    mkdirSync(join(root, "deploy", "local"), { recursive: true });
    writeFileSync(join(root, "deploy", "local", "sipfleet.yaml"), VALID);
    writeFileSync(join(root, "other.yaml"), "domains: [ { name: other.test, authentication: none } ]\n");
    writeFileSync(join(root, "broken.yaml"), "domains: [ { name: a.test, authentication: maybe } ]\n");
    nested = join(root, "services", "edge");
    mkdirSync(nested, { recursive: true });
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("finds deploy/local/sipfleet.yaml in the repository root above cwd", () => {
    assert.deepEqual(resolveConfigPath({ cwd: nested, env: {} }), {
      path: join(root, "deploy", "local", "sipfleet.yaml"),
      from: "default",
    });
    assert.ok(loadConfig({ cwd: nested, env: {} }).domains.has("a.test"));
  });

  it("prefers SIPFLEET_CONFIG, resolved against cwd, and ignores it when empty", () => {
    assert.deepEqual(resolveConfigPath({ cwd: root, env: { SIPFLEET_CONFIG: "other.yaml" } }), {
      path: join(root, "other.yaml"),
      from: "SIPFLEET_CONFIG",
    });
    assert.ok(loadConfig({ cwd: root, env: { SIPFLEET_CONFIG: "other.yaml" } }).domains.has("other.test"));
    assert.equal(resolveConfigPath({ cwd: nested, env: { SIPFLEET_CONFIG: "" } }).from, "default");
  });

  it("prefers the path option over SIPFLEET_CONFIG, and SIPFLEET_CONFIG over defaultPath", () => {
    const env = { SIPFLEET_CONFIG: "other.yaml" };
    assert.equal(resolveConfigPath({ cwd: root, env, path: "deploy/local/sipfleet.yaml" }).from, "path option");
    assert.equal(resolveConfigPath({ cwd: root, env, defaultPath: "x.yaml" }).path, join(root, "other.yaml"));
    assert.deepEqual(resolveConfigPath({ cwd: root, env: {}, defaultPath: "x.yaml" }), {
      path: join(root, "x.yaml"),
      from: "default",
    });
  });

  it("names the file relative to cwd in validation errors", () => {
    assert.throws(() => loadConfig({ cwd: root, env: { SIPFLEET_CONFIG: join(root, "broken.yaml") } }), {
      name: "ConfigError",
      message: 'broken.yaml: domains[0].authentication: must be "digest" or "none", got "maybe"',
    });
    assert.throws(() => loadConfig({ cwd: nested, env: {}, path: "../../broken.yaml" }), {
      message: `${join(root, "broken.yaml")}: domains[0].authentication: must be "digest" or "none", got "maybe"`,
    });
  });

  it("applies the environment overrides from options.env", () => {
    const config = loadConfig({ cwd: root, env: { SIPFLEET_LISTEN: "tcp:127.0.0.1:5999" } });
    assert.deepEqual(config.edge.listen, [{ transport: "tcp", host: "127.0.0.1", port: 5999 }]);
  });

  it("reports an unreadable file, saying where its name came from", () => {
    assert.throws(() => loadConfig({ cwd: root, env: { SIPFLEET_CONFIG: "missing.yaml" } }), {
      name: "ConfigError",
      message: "missing.yaml: cannot read the config file (named by SIPFLEET_CONFIG): ENOENT",
    });
    assert.throws(() => loadConfig({ cwd: root, env: {}, path: "deploy" }), {
      message: "deploy: cannot read the config file: EISDIR",
    });
  });

  it("asks for SIPFLEET_CONFIG outside a repository", () => {
    const outside = mkdtempSync(join(tmpdir(), "sipfleet-no-repo-"));
    try {
      assert.throws(
        () => resolveConfigPath({ cwd: outside, env: {} }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message ===
            `SIPFLEET_CONFIG: not set, and no pnpm-workspace.yaml at or above ${outside} to find deploy/local/sipfleet.yaml from; set it to the config file`,
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
