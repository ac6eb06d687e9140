/** Parsers the tests read generated files back with (test support, not exported by the package). */
import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => name === "section" || name === "entry",
});

/** Parses after checking well-formedness, so a broken file fails here rather than half-parsing. */
export function parseXml(body: string): any {
  const valid = XMLValidator.validate(body);
  assert.equal(valid, true, `not well-formed: ${JSON.stringify(valid)}`);
  return parser.parse(body);
}

/** Yealink key = value lines into a map; a key seen twice fails (a later one would override). */
export function parseYealink(body: string): Map<string, string> {
  const lines = body.split("\n");
  assert.equal(lines[0], "#!version:1.0.0.1");
  const out = new Map<string, string>();
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.indexOf(" = ");
    assert.ok(i > 0, `not a key = value line: ${line}`);
    const key = line.slice(0, i);
    assert.ok(!out.has(key), `duplicate key ${key}`);
    out.set(key, line.slice(i + 3));
  }
  return out;
}

export function linphoneSections(body: string): Map<string, Map<string, string>> {
  const doc = parseXml(body);
  assert.equal(doc.config["@xmlns"], "http://www.linphone.org/xsds/lpconfig.xsd");
  const out = new Map<string, Map<string, string>>();
  for (const s of doc.config.section) {
    out.set(s["@name"], new Map(s.entry.map((e: any) => [e["@name"], e["#text"] ?? ""])));
  }
  return out;
}

export function snomSettings(body: string): Record<string, string> {
  const ps = parseXml(body).settings["phone-settings"];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(ps)) if (!k.startsWith("@")) out[k] = typeof v === "string" ? v : v["#text"] ?? "";
  return out;
}

