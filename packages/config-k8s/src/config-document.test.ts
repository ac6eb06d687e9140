import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateConfigDocument } from "@sipfleet/config";
import { attributeIssues, buildConfigDocument } from "./config-document.js";
import type { ConfigResource, ResourceSnapshot, SecretResource } from "./resources.js";
import { BASE_DOCUMENT, HA1 } from "./test-fixtures.js";

/* Resources -> the document the YAML file would hold, and validation issues back onto resources. */

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const r = (name: string, spec: unknown): ConfigResource => ({ metadata: { name, generation: 1 }, spec });
const secret = (name: string, data: Record<string, string>): SecretResource => ({ metadata: { name }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });

function snapshot(parts: Partial<ResourceSnapshot>): ResourceSnapshot {
  return { SipDomain: [], SipUser: [], SipTrunk: [], NumberRoute: [], secrets: new Map(), ...parts };
}

function problemsOf(s: ResourceSnapshot): string[] {
  const built = buildConfigDocument(BASE_DOCUMENT, s);
  if (built.referenceProblems.length > 0) return built.referenceProblems.map((p) => `${p.kind}/${p.name} ${p.key}: ${p.message}`);
  try {
    validateConfigDocument(built.document, "k8s", { ...built.secretEnv });
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    const attributed = attributeIssues(error.issues, built.parts);
    return [...[...attributed.byResource.values()].flat().map((p) => `${p.kind}/${p.name} ${p.key}: ${p.message}`), ...attributed.unattributed.map((i) => `- ${i.path}: ${i.message}`)];
  }
}

const DOMAIN = r("sipfleet.local", {});
const secrets = new Map([
  ["alice-ha1", secret("alice-ha1", HA1["alice"]!)],
  ["lab", secret("lab", { password: "pw" })],
]);

describe("buildConfigDocument and attributeIssues", () => {
  it("groups users under their domain, with the HA1s of their Secret", () => {
    const built = buildConfigDocument(BASE_DOCUMENT, snapshot({ SipDomain: [DOMAIN], SipUser: [r("alice", { domain: "sipfleet.local", ha1SecretRef: { name: "alice-ha1" } })], secrets }));
    assert.deepEqual(built.referenceProblems, []);
    assert.deepEqual(built.document["domains"], [{ name: "sipfleet.local", users: [{ name: "alice", ha1: HA1["alice"] }] }]);
    assert.deepEqual(built.document["auth"], BASE_DOCUMENT.auth, "the base file's other sections are kept");
  });

  it("names the second of two SipUsers with one user name, and refers to the first as a resource", () => {
    const user = (name: string) => r(name, { domain: "sipfleet.local", name: "alice", ha1SecretRef: { name: "alice-ha1" } });
    assert.deepEqual(problemsOf(snapshot({ SipDomain: [DOMAIN], SipUser: [user("alice-1"), user("alice-2")], secrets })), [
      'SipUser/alice-2 spec.name: duplicate of SipUser/alice-1 spec.name (\"alice\")',
    ]);
  });

  it("refuses a trunk's spec.name and passwordEnv: the name is metadata.name, the password a Secret's", () => {
    const gateways = [{ host: "127.0.0.1" }];
    const inbound = { allow: ["192.0.2.1"] };
    assert.deepEqual(problemsOf(snapshot({ SipDomain: [DOMAIN], SipTrunk: [r("lab", { name: "other", gateways, inbound })], secrets })), [
      "SipTrunk/lab spec.name: the trunk's name is metadata.name; remove spec.name",
    ]);
    const outbound = { credentials: { username: "u", passwordEnv: "HOME" } };
    assert.deepEqual(problemsOf(snapshot({ SipDomain: [DOMAIN], SipTrunk: [r("lab", { gateways, inbound, outbound })], secrets })), [
      "SipTrunk/lab spec.outbound.credentials: the password comes from a Secret: use passwordSecretRef { name, key }",
    ]);
    const missingKey = { credentials: { username: "u", passwordSecretRef: { name: "lab", key: "nope" } } };
    assert.deepEqual(problemsOf(snapshot({ SipDomain: [DOMAIN], SipTrunk: [r("lab", { gateways, inbound, outbound: missingKey })], secrets })), [
      'SipTrunk/lab spec.outbound.credentials.passwordSecretRef: Secret lab has no (or an empty) key "nope"',
    ]);
  });

  it("names both trunks of an overlapping number as resources", () => {
    const trunk = (name: string, allow: string) =>
      r(name, { gateways: [{ host: "127.0.0.1" }], inbound: { allow: [allow] }, numbers: [{ number: "+4930123456", owner: "alice@sipfleet.local" }] });
    const users = [r("alice", { domain: "sipfleet.local", ha1SecretRef: { name: "alice-ha1" } })];
    assert.deepEqual(problemsOf(snapshot({ SipDomain: [DOMAIN], SipUser: users, SipTrunk: [trunk("a", "192.0.2.1"), trunk("b", "192.0.2.2")], secrets })), [
      "SipTrunk/b spec.numbers[0].number: +4930123456 overlaps SipTrunk/a spec.numbers[0].number (+4930123456): a number has one owner",
    ]);
  });

  it("leaves a problem of the set as a whole unattributed", () => {
    assert.deepEqual(problemsOf(snapshot({})), ["- domains: must list at least one domain"]);
  });
});
