import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseTokens, roleAllows } from "./tokens.js";
import { adminOptionsFromEnv } from "./admin-env.js";

const READ = "read-token-0123456789";
const ADMIN = "admin-token-0123456789";

describe("admin tokens", () => {
  it("gives each configured token its role and none to others", () => {
    const t = parseTokens(`${READ}:read, ${ADMIN}:admin`, "ADMIN_TOKENS");
    assert.equal(t.size, 2);
    assert.equal(t.roleOf(READ), "read");
    assert.equal(t.roleOf(ADMIN), "admin");
    assert.equal(t.roleOf("admin-token-012345678"), undefined);
    assert.equal(t.roleOf(""), undefined);
  });

  it("admin covers read, read does not cover admin", () => {
    assert.equal(roleAllows("admin", "read"), true);
    assert.equal(roleAllows("read", "read"), true);
    assert.equal(roleAllows("read", "admin"), false);
  });

  it("refuses bad entries naming the setting, without echoing the token", () => {
    assert.throws(() => parseTokens("", "ADMIN_TOKENS"), /^ConfigError: ADMIN_TOKENS: no token configured/);
    assert.throws(() => parseTokens(`${READ}:root`, "ADMIN_TOKENS"), /^ConfigError: ADMIN_TOKENS: role must be read or admin, got "root"/);
    assert.throws(() => parseTokens(READ, "ADMIN_TOKENS"), (e: Error) => /without a role/.test(e.message) && !e.message.includes(READ));
    assert.throws(() => parseTokens("short:read", "ADMIN_TOKENS_FILE"), /^ConfigError: ADMIN_TOKENS_FILE: a token must be at least 16/);
  });

  it("reads a token file with comments and one entry a line", () => {
    const dir = mkdtempSync(join(tmpdir(), "admin-tokens-"));
    const file = join(dir, "tokens");
    writeFileSync(file, `# operators\n${ADMIN}:admin\n\n${READ}:read\n`);
    const o = adminOptionsFromEnv({ ADMIN_TOKENS_FILE: file });
    assert.equal(o.tokens.roleOf(ADMIN), "admin");
    assert.equal(o.tokens.roleOf(READ), "read");
    assert.equal(o.listen, "127.0.0.1:8080");
    assert.deepEqual(o.locations, ["127.0.0.1:50051"]);
  });

  it("names the variable in every settings error", () => {
    assert.throws(() => adminOptionsFromEnv({}), /^ConfigError: ADMIN_TOKENS: no token configured/);
    assert.throws(() => adminOptionsFromEnv({ ADMIN_TOKENS: `${READ}:read`, ADMIN_TOKENS_FILE: "/x" }), /^ConfigError: ADMIN_TOKENS: set either/);
    assert.throws(() => adminOptionsFromEnv({ ADMIN_TOKENS_FILE: "/nonexistent/admin-tokens" }), /^ConfigError: ADMIN_TOKENS_FILE: cannot read/);
    assert.throws(() => adminOptionsFromEnv({ ADMIN_TOKENS: `${READ}:read`, ADMIN_LISTEN: "nope" }), /^ConfigError: ADMIN_LISTEN/);
  });

  it("the process exits 1 at start naming ADMIN_TOKENS when no token is configured", async () => {
    const main = fileURLToPath(new URL("./main.js", import.meta.url));
    const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? "", ADMIN_LISTEN: "127.0.0.1:0" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 1);
    assert.match(stderr, /ADMIN_TOKENS: no token configured/);
  });
});
