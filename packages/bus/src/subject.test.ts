import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isValidSubject, subjectMatches, subjectTokens } from "./subject.js";

describe("subjects", () => {
  it("validates like NATS", () => {
    for (const s of ["a", "a.b", "sip.register.v1", "edge.e-1.deliver", "a*b", "a>b"]) assert.ok(isValidSubject(s, false), s);
    for (const s of ["", ".", "a.", ".a", "a..b", "a b", "a\tb", "a.*", "a.>", "*", ">"]) assert.ok(!isValidSubject(s, false), JSON.stringify(s));
    for (const s of ["a.*", "a.>", "*", ">", "*.b.>", "a.*.c"]) assert.ok(isValidSubject(s, true), s);
    for (const s of ["a.>.b", ">.a", "a..*", "a.* "]) assert.ok(!isValidSubject(s, true), JSON.stringify(s));
  });

  it("matches '*' as one token and '>' as one or more", () => {
    const m = (p: string, s: string) => subjectMatches(subjectTokens(p), subjectTokens(s));
    assert.ok(m("a.b", "a.b"));
    assert.ok(!m("a.b", "a.b.c"));
    assert.ok(!m("a.b.c", "a.b"));
    assert.ok(m("a.*", "a.b"));
    assert.ok(!m("a.*", "a"));
    assert.ok(!m("a.*", "a.b.c"));
    assert.ok(m("a.*.c", "a.x.c"));
    assert.ok(m("a.>", "a.b"));
    assert.ok(m("a.>", "a.b.c.d"));
    assert.ok(!m("a.>", "a"));
    assert.ok(m(">", "a"));
    assert.ok(m("*.>", "a.b"));
    assert.ok(!m("*.>", "a"));
    assert.ok(!m("a*b", "axb"), "a partial-token star is literal");
  });
});
