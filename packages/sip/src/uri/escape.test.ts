import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ParseError } from "../errors.js";
import { canonicalEscapes, escapeUriHeader, escapeUriParam, escapeUriPassword, escapeUriUser, unescapeUriPart } from "./escape.js";
import { C_HEADER, C_PARAM, C_USER } from "./uri-chars.js";

describe("unescapeUriPart", () => {
  it("returns the input when there is nothing to decode", () => {
    const s = "alice";
    assert.equal(unescapeUriPart(s), s);
    assert.equal(unescapeUriPart("xaliceX", 1, 6), "alice");
  });

  it("decodes escapes, hex in either case", () => {
    assert.equal(unescapeUriPart("%61lice"), "alice");
    assert.equal(unescapeUriPart("sips%3Auser%40example.com"), "sips:user@example.com");
    assert.equal(unescapeUriPart("a%3bb%3B"), "a;b;");
  });

  it("decodes %00 to a NUL without shortening the string (RFC 4475 §3.1.1.4)", () => {
    assert.equal(unescapeUriPart("null-%00-null"), "null-\x00-null");
    assert.equal(unescapeUriPart("%00%00"), "\x00\x00");
  });

  it("is not recursive (RFC 4475 §3.1.1.3: value%25%34%31 is value%41)", () => {
    assert.equal(unescapeUriPart("v%61lue%25%34%31"), "value%41");
  });

  it("yields bytes, one char each: UTF-8 is not decoded", () => {
    assert.equal(unescapeUriPart("I%C3%B1aki"), "I\xC3\xB1aki");
  });

  it("only decodes inside the given range", () => {
    assert.equal(unescapeUriPart("%41%42%43", 3, 6), "B");
  });

  for (const bad of ["%", "a%", "a%4", "%4G", "%G4", "100%", "%%41", "a%2"]) {
    it(`throws ParseError on the malformed escape in ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => unescapeUriPart(bad),
        (e: unknown) => e instanceof ParseError && /malformed escape/.test(e.message) && e.offset === bad.indexOf("%") && e.status === 400,
      );
    });
  }

  it("does not read a valid-looking escape across the end of the range", () => {
    assert.throws(() => unescapeUriPart("a%41", 0, 3), ParseError);
  });
});

describe("escape functions (RFC 3261 §25.1 sets)", () => {
  it("return the input untouched when nothing needs escaping", () => {
    const user = "alice.smith-1_(x)!~*'";
    assert.equal(escapeUriUser(user), user);
  });

  it("user: user-unreserved chars stay raw, others are escaped", () => {
    assert.equal(escapeUriUser("a&=+$,;?/b"), "a&=+$,;?/b");
    assert.equal(escapeUriUser("j@s0n"), "j%40s0n"); // RFC 3261 §19.1.2's example
    assert.equal(escapeUriUser("sips:user@example.com"), "sips%3Auser%40example.com");
    assert.equal(escapeUriUser("I have spaces"), "I%20have%20spaces");
    assert.equal(escapeUriUser("null-\x00-null"), "null-%00-null");
    assert.equal(escapeUriUser("100%"), "100%25");
  });

  it("password: ';', '?', '/' and ':' are escaped, '&=+$,' are not", () => {
    assert.equal(escapeUriPassword("p;w?d/x:y&=+$,"), "p%3Bw%3Fd%2Fx%3Ay&=+$,");
  });

  it("params: param-unreserved chars stay raw", () => {
    assert.equal(escapeUriParam("[2001:db8::1]/a&b+c$"), "[2001:db8::1]/a&b+c$");
    assert.equal(escapeUriParam("a;b=c?d,e@f"), "a%3Bb%3Dc%3Fd%2Ce%40f");
  });

  it("headers: hnv-unreserved chars stay raw, '&' '=' ';' '@' are escaped", () => {
    assert.equal(escapeUriHeader("sip:bob@biloxi.com"), "sip:bob%40biloxi.com");
    assert.equal(escapeUriHeader("<sip:x?y>"), "%3Csip:x?y%3E");
    assert.equal(escapeUriHeader("a&b=c;d"), "a%26b%3Dc%3Bd");
  });

  it("treats chars up to U+00FF as bytes and a string with wider chars as UTF-8", () => {
    assert.equal(escapeUriUser("I\xC3\xB1aki"), "I%C3%B1aki");
    assert.equal(escapeUriUser("Iñaki"), "I%F1aki"); // ñ is U+00F1: one byte
    assert.equal(escapeUriUser("Iñaki€"), "I%C3%B1aki%E2%82%AC"); // € forces UTF-8
  });

  it("round-trips through unescapeUriPart", () => {
    for (const s of ["j@s0n", "a b\tc", "%", "\x00\x7f\xff", "sips:user@example.com"]) {
      assert.equal(unescapeUriPart(escapeUriUser(s)), s);
      assert.equal(unescapeUriPart(escapeUriParam(s)), s);
      assert.equal(unescapeUriPart(escapeUriHeader(s)), s);
    }
  });
});

describe("canonicalEscapes", () => {
  const canon = (s: string, set: number, lower = false): string => canonicalEscapes(s, 0, s.length, set, lower);

  it("decodes escaped unreserved chars (RFC 3261 §19.1.4: %61lice is alice)", () => {
    assert.equal(canon("%61lice", C_USER), "alice");
    assert.equal(canon("%7E%2d%2E", C_USER), "~-.");
  });

  it("keeps escaped reserved chars escaped, with upper-case hex", () => {
    assert.equal(canon("a%3bb", C_USER), "a%3Bb");
    assert.equal(canon("sips%3auser%40example.com", C_USER), "sips%3Auser%40example.com");
  });

  it("keeps escapes of chars that may not appear raw", () => {
    assert.equal(canon("I%20have%20spaces", C_USER), "I%20have%20spaces");
    assert.equal(canon("value%25%34%31", C_PARAM), "value%2541");
    assert.equal(canon("%00", C_USER), "%00");
    assert.equal(canon("%c3%b1", C_USER), "%C3%B1");
  });

  it("decodes '[' and ']' in params and headers: allowed raw there and not reserved in RFC 3261", () => {
    assert.equal(canon("%5B::1%5d", C_PARAM), "[::1]");
    assert.equal(canon("%5B", C_HEADER), "[");
    assert.equal(canon("%5B", C_USER), "%5B");
  });

  it("lower-cases letters, including decoded ones, when asked (parameter names)", () => {
    assert.equal(canon("%4C%52", C_PARAM, true), "lr");
    assert.equal(canon("TrAnSpOrT", C_PARAM, true), "transport");
    assert.equal(canon("A%2fB", C_PARAM, true), "a%2Fb");
  });

  it("throws ParseError on a malformed escape", () => {
    assert.throws(() => canon("a%zz", C_USER), ParseError);
  });
});
