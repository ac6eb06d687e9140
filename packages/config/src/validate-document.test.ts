import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "./errors.js";
import { parseConfig, readConfigDocument, validateConfigDocument } from "./parse-config.js";

/* The in-memory path (@sipfleet/config-k8s builds documents from custom resources) is the file's path. */

const YAML = `
domains:
  - name: sipfleet.local
    users:
      - name: alice
        ha1: { md5: "6cbb80ffc4da5bf0e69440b3028ccd1d" }
auth:
  nonceSecret: "validate-document-test-secret-0123456789"
trunks:
  - name: lab
    gateways: [{ host: 127.0.0.1, port: 5090 }]
    inbound: { allow: [192.0.2.1] }
numberRoutes:
  - { prefix: "+49", trunks: [{ trunk: lab }] }
`;

describe("validateConfigDocument", () => {
  it("gives what parseConfig gives for the same document", () => {
    const fromFile = parseConfig(YAML, "x.yaml", {});
    const fromDocument = validateConfigDocument(readConfigDocument(YAML, "x.yaml"), "x.yaml", {});
    assert.deepEqual(fromDocument.trunks, fromFile.trunks);
    assert.deepEqual(fromDocument.numberRoutes, fromFile.numberRoutes);
    assert.deepEqual([...fromDocument.domains.get("sipfleet.local")!.users.keys()], ["alice"]);
  });

  it("reports the same issues, under the source it is given", () => {
    const document = readConfigDocument(YAML, "x.yaml") as { trunks: { gateways: { port: number }[] }[] };
    document.trunks[0]!.gateways[0]!.port = 70000;
    assert.throws(
      () => validateConfigDocument(document, "kubernetes", {}),
      (e: unknown) => e instanceof ConfigError && e.issues.length === 1 && e.issues[0]!.source === "kubernetes" && e.issues[0]!.path === "trunks[0].gateways[0].port",
    );
  });
});
