import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ParseError } from "../errors.js";
import { AbsoluteUri, SipUri, TelUri, parseUri, uriEquals, type Uri } from "./index.js";

function sip(text: string): SipUri {
  const u = parseUri(text);
  assert.ok(u instanceof SipUri, `${text} should parse to a SipUri`);
  return u;
}

function tel(text: string): TelUri {
  const u = parseUri(text);
  assert.ok(u instanceof TelUri, `${text} should parse to a TelUri`);
  return u;
}

/** Asserts a ParseError whose message matches `message` (and offset, when given). */
function rejects(text: string, message: RegExp, offset?: number): void {
  assert.throws(
    () => parseUri(text),
    (e: unknown) => {
      assert.ok(e instanceof ParseError, `expected ParseError for ${JSON.stringify(text)}, got ${String(e)}`);
      assert.match(e.message, message);
      assert.equal(e.status, 400);
      if (offset !== undefined) assert.equal(e.offset, offset, `offset for ${JSON.stringify(text)}`);
      return true;
    },
  );
}

/** parseUri(u.toString()) must give an equal URI. */
function roundTrips(u: Uri): void {
  const again = parseUri(u.toString());
  assert.ok(uriEquals(u, again), `${u.toString()} did not round-trip`);
  assert.equal(again.toString(), u.toString());
}

describe("parseUri: SIP and SIPS", () => {
  it("parses every component", () => {
    const u = sip("sip:user:pass@host:5061;transport=tcp;lr?Subject=x&Priority=urgent");
    assert.equal(u.scheme, "sip");
    assert.equal(u.user, "user");
    assert.equal(u.password, "pass");
    assert.equal(u.host, "host");
    assert.equal(u.port, 5061);
    assert.equal(u.transport, "tcp");
    assert.equal(u.lr, true);
    assert.deepEqual([...u.params], [["transport", "tcp"], ["lr", null]]);
    assert.deepEqual(u.headers, [["Subject", "x"], ["Priority", "urgent"]]);
    assert.equal(u.hostType, "name");
    assert.equal(u.toString(), "sip:user:pass@host:5061;transport=tcp;lr?Subject=x&Priority=urgent");
    roundTrips(u);
  });

  it("parses a host-only URI", () => {
    const u = sip("sip:atlanta.com");
    assert.equal(u.user, undefined);
    assert.equal(u.password, undefined);
    assert.equal(u.port, undefined);
    assert.equal(u.params.size, 0);
    assert.equal(u.headers.length, 0);
    assert.equal(u.lr, false);
    assert.equal(u.transport, undefined);
  });

  it("parses the RFC 3261 §19.1.3 examples", () => {
    const examples = [
      "sip:alice@atlanta.com",
      "sip:alice:secretword@atlanta.com;transport=tcp",
      "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
      "sip:+1-212-555-1212:1234@gateway.com;user=phone",
      "sips:1212@gateway.com",
      "sip:alice@192.0.2.4",
      "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
      "sip:alice;day=tuesday@atlanta.com",
    ];
    for (const text of examples) roundTrips(sip(text));
    const phone = sip(examples[3]!);
    assert.equal(phone.user, "+1-212-555-1212");
    assert.equal(phone.password, "1234");
    assert.equal(phone.userParam, "phone");
    const register = sip(examples[6]!);
    assert.equal(register.method, "REGISTER");
    assert.deepEqual(register.headers, [["to", "alice@atlanta.com"]]);
    // "The last sample URI above has a user field value of "alice;day=tuesday"."
    assert.equal(sip(examples[7]!).user, "alice;day=tuesday");
    assert.equal(sip(examples[2]!).headers[0]?.[1], "project x");
  });

  it("keeps ';' in the user part with the user (RFC 4475 §3.1.1.9 semiuri)", () => {
    const u = sip("sip:user;par=u%40example.net@example.com");
    assert.equal(u.user, "user;par=u@example.net");
    assert.equal(u.host, "example.com");
    assert.equal(u.params.size, 0);
    assert.equal(u.toString(), "sip:user;par=u%40example.net@example.com");
  });

  it("unescapes the user part (RFC 4475 §3.1.1.3 esc01)", () => {
    const u = sip("sip:sips%3Auser%40example.com@example.net");
    assert.equal(u.scheme, "sip");
    assert.equal(u.user, "sips:user@example.com");
    assert.equal(u.host, "example.net");
    assert.equal(u.toString(), "sip:sips%3Auser%40example.com@example.net");
    assert.equal(sip("sip:%75se%72@example.com").user, "user");
    assert.equal(sip("sip:I%20have%20spaces@example.net").user, "I have spaces");
  });

  it("unescapes parameter names and values, once (RFC 4475 §3.1.1.3 esc01 Contact)", () => {
    const u = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
    assert.equal(u.user, "caller");
    assert.equal(u.lr, true);
    assert.equal(u.params.get("name"), "value%41"); // "NOT equivalent to valueA"
    assert.equal(u.toString(), "sip:caller@host5.example.net;lr;name=value%2541");
    roundTrips(u);
  });

  it("keeps escaped NULs (RFC 4475 §3.1.1.4 escnull)", () => {
    const u = sip("sip:null-%00-null@example.com");
    assert.equal(u.user, "null-\x00-null");
    assert.equal(u.user?.length, 11);
    assert.equal(u.toString(), "sip:null-%00-null@example.com");
    const one = sip("sip:%00@host5.example.com");
    const two = sip("sip:%00%00@host5.example.com");
    assert.equal(one.user, "\x00");
    assert.equal(two.user, "\x00\x00");
    assert.ok(!uriEquals(one, two), "the two escnull Contacts are distinct bindings");
  });

  it("parses the RFC 4475 §3.1.1.5 esc02 URIs strictly (their '%' oddities are outside URIs)", () => {
    assert.equal(sip("sip:registrar.example.com").host, "registrar.example.com");
    assert.equal(sip("sip:resource@example.com").user, "resource");
  });

  it("parses the escaped headers of RFC 4475 §3.1.2.11 (rejecting them in a Request-URI is validation's job)", () => {
    const u = sip("sip:user@example.com?Route=%3Csip:example.com%3E");
    assert.deepEqual(u.headers, [["Route", "<sip:example.com>"]]);
    assert.equal(u.toString(), "sip:user@example.com?Route=%3Csip:example.com%3E");
  });

  it("parses IPv4 hosts", () => {
    const u = sip("sip:alice@192.0.2.4:5060;transport=udp");
    assert.equal(u.host, "192.0.2.4");
    assert.equal(u.hostType, "ipv4");
    assert.equal(u.port, 5060);
    assert.equal(u.transport, "udp");
  });

  it("parses IPv6 references with and without port, keeping the brackets", () => {
    const a = sip("sip:[2001:db8::10]:5070");
    assert.equal(a.host, "[2001:db8::10]");
    assert.equal(a.hostType, "ipv6");
    assert.equal(a.port, 5070);
    const b = sip("sip:[::1]");
    assert.equal(b.host, "[::1]");
    assert.equal(b.port, undefined);
    const c = sip("sips:alice@[2001:db8::10];transport=tcp");
    assert.equal(c.user, "alice");
    assert.equal(c.host, "[2001:db8::10]");
    assert.equal(c.transport, "tcp");
    const d = sip("sip:[::ffff:192.0.2.1]:5060");
    assert.equal(d.hostType, "ipv6");
    for (const u of [a, b, c, d]) roundTrips(u);
  });

  it("rejects invalid IPv6 references", () => {
    rejects("sip:[2001:db8::10", /unterminated IPv6 reference "\[2001:db8::10"/, 4);
    rejects("sip:[2001:db8::10:5060", /unterminated IPv6 reference/);
    rejects("sip:[2001:db8:::10]", /invalid IPv6 reference "\[2001:db8:::10\]"/, 4);
    rejects("sip:[]", /invalid IPv6 reference/);
    rejects("sip:[::1]x", /character "x" not allowed in the host/);
    rejects("sip:2001:db8::10", /invalid host "2001"/); // a bare IPv6 address: brackets are required
  });

  it("accepts a host with a trailing dot", () => {
    const u = sip("sip:alice@example.com.");
    assert.equal(u.host, "example.com.");
    assert.equal(u.hostType, "name");
    assert.equal(u.toString(), "sip:alice@example.com.");
  });

  it("rejects an empty or invalid host", () => {
    rejects("sip:", /^URI: missing host$/, 4);
    rejects("sip:alice@", /missing host/, 10);
    rejects("sip:alice@:5060", /missing host/);
    rejects("sip:;transport=udp", /missing host/);
    rejects("sip:alice@example..com", /invalid host "example\.\.com"/);
    rejects("sip:alice@-example.com", /invalid host/);
    rejects("sip:alice@192.0.2", /invalid host "192\.0\.2"/);
    rejects("sip:alice@256.0.2.1", /invalid host/);
    rejects("sip:alice@ex%41mple.com", /escaped characters are not allowed in the host/);
  });

  it("rejects a port out of range or malformed", () => {
    rejects("sip:alice@atlanta.com:70000", /^URI: invalid port "70000"$/, 22);
    rejects("sip:alice@atlanta.com:65536", /invalid port "65536"/);
    rejects("sip:alice@atlanta.com:", /invalid port ""/);
    rejects("sip:alice@atlanta.com:;lr", /invalid port ""/);
    rejects("sip:alice@atlanta.com:1234567", /invalid port "1234567"/);
    rejects("sip:alice@atlanta.com:50a", /character "a" not allowed in the port/);
    rejects("sip:alice@atlanta.com:5060:5061", /character ":" not allowed in the port/);
    assert.equal(sip("sip:alice@atlanta.com:65535").port, 65535);
    assert.equal(sip("sip:alice@atlanta.com:0").port, 0);
  });

  it("normalizes a port with leading zeros", () => {
    const u = sip("sip:alice@atlanta.com:05060");
    assert.equal(u.port, 5060);
    assert.equal(u.toString(), "sip:alice@atlanta.com:5060");
  });

  it("prefixes messages with the caller's context", () => {
    assert.throws(() => parseUri("sip:alice@atlanta.com:70000", "Request-URI"), {
      name: "ParseError",
      message: 'Request-URI: invalid port "70000"',
    });
  });

  it("parses sips: URIs", () => {
    const u = sip("sips:bob@biloxi.com:5061");
    assert.equal(u.scheme, "sips");
    assert.equal(u.port, 5061);
  });

  it("accepts the scheme in any case and writes it in lower case", () => {
    const u = sip("SIP:alice@atlanta.com");
    assert.equal(u.scheme, "sip");
    assert.equal(u.toString(), "sip:alice@atlanta.com");
    assert.equal(sip("SiPs:alice@atlanta.com").scheme, "sips");
    assert.equal(tel("TEL:+1-201-555-0123").scheme, "tel");
  });

  it("lower-cases parameter names but keeps values, user and host as written", () => {
    const u = sip("sip:Alice@AtLanTa.CoM;Transport=TCP;MAddr=239.255.255.1;TTL=15");
    assert.equal(u.user, "Alice");
    assert.equal(u.host, "AtLanTa.CoM");
    assert.equal(u.params.get("transport"), "TCP");
    assert.equal(u.transport, "tcp");
    assert.equal(u.maddr, "239.255.255.1");
    assert.equal(u.ttl, 15);
    assert.equal(u.toString(), "sip:Alice@AtLanTa.CoM;transport=TCP;maddr=239.255.255.1;ttl=15");
  });

  it("parses an empty password", () => {
    const u = sip("sip:alice:@atlanta.com");
    assert.equal(u.user, "alice");
    assert.equal(u.password, "");
    assert.equal(u.toString(), "sip:alice:@atlanta.com");
  });

  it("rejects an empty user part (RFC 3261 §19.1.1)", () => {
    rejects("sip:@atlanta.com", /empty user part/, 4);
    rejects("sip::secret@atlanta.com", /empty user part/);
  });

  it("rejects white space, control chars, bytes above 0x7e, '<' and '>'", () => {
    rejects("sip:alice smith@atlanta.com", /white space not allowed in the user part/, 9);
    rejects("sip:alice@atlanta.com ", /white space not allowed in the host/);
    rejects(" sip:alice@atlanta.com", /white space not allowed in a URI/, 0);
    rejects("sip:alice@atlanta.com;transport=udp\r\n", /control character \\x0d/);
    rejects("sip:al\x00ice@atlanta.com", /control character \\x00 not allowed in the user part/);
    rejects("sip:i\xf1aki@atlanta.com", /non-ASCII byte \\xf1/);
    rejects("<sip:alice@atlanta.com>", /character "<" not allowed/, 0);
    rejects("sip:alice@atlanta.com>", /character ">" not allowed/);
    rejects("sip:<alice>@atlanta.com", /character "<" not allowed in the user part/);
    rejects("sip:user@example.com;lr\x7f", /control character \\x7f/);
    // RFC 4475 §3.1.2.8 lwsruri: embedded LWS in the Request-URI.
    rejects("sip:user@example.com;par=u@example.net ;foo", /not allowed/);
  });

  it("rejects malformed escapes anywhere escapes are allowed", () => {
    rejects("sip:a%4@atlanta.com", /malformed escape "%4"/, 5);
    rejects("sip:alice:pw%zz@atlanta.com", /malformed escape "%zz"/);
    rejects("sip:alice@atlanta.com;na%me=v", /malformed escape/);
    rejects("sip:alice@atlanta.com;name=v%", /malformed escape "%"/);
    rejects("sip:alice@atlanta.com?subject=100%", /malformed escape/);
  });

  it("validates URI parameters", () => {
    rejects("sip:alice@atlanta.com;", /empty parameter name/);
    rejects("sip:alice@atlanta.com;;lr", /empty parameter name/);
    rejects("sip:alice@atlanta.com;=x", /empty parameter name/);
    rejects("sip:alice@atlanta.com;foo=", /parameter "foo" has an empty value/);
    rejects("sip:alice@atlanta.com;a=b=c", /character "=" not allowed in parameter "a"/);
    rejects("sip:alice@atlanta.com;transport=udp;Transport=tcp", /duplicate parameter "transport"/);
    rejects("sip:alice@atlanta.com;ttl=256", /invalid ttl parameter "256"/);
    rejects("sip:alice@atlanta.com;ttl=1a", /invalid ttl parameter/);
    rejects("sip:alice@atlanta.com;ttl", /parameter "ttl" needs a value/);
    rejects("sip:alice@atlanta.com;maddr=239..1", /invalid maddr parameter "239\.\.1"/);
    rejects("sip:alice@atlanta.com;transport=t(p", /invalid transport parameter/);
    rejects("sip:alice@atlanta.com;method=", /empty value/);
  });

  it("accepts param-unreserved chars and bracketed maddr in parameter values", () => {
    const u = sip("sip:alice@atlanta.com;maddr=[2001:db8::1];x=a/b:c&d+e$f[g]");
    assert.equal(u.maddr, "[2001:db8::1]");
    assert.equal(u.params.get("x"), "a/b:c&d+e$f[g]");
    roundTrips(u);
  });

  it("accepts lr with a value (lr=on, a valid other-param)", () => {
    const u = sip("sip:proxy.example.com;lr=on");
    assert.equal(u.lr, true);
    assert.equal(u.params.get("lr"), "on");
  });

  it("accepts RFC 4475 §3.1.1.10 transports, known and unknown", () => {
    assert.equal(sip("sip:user@example.com;transport=sctp").transport, "sctp");
    assert.equal(sip("sip:user@example.com;transport=UNKNOWN").transport, "unknown");
  });

  it("parses headers", () => {
    const u = sip("sip:alice@atlanta.com?subject=project%20x&priority=urgent&empty=");
    assert.deepEqual(u.headers, [
      ["subject", "project x"],
      ["priority", "urgent"],
      ["empty", ""],
    ]);
    roundTrips(u);
  });

  it("rejects malformed headers", () => {
    rejects("sip:alice@atlanta.com?", /empty header name/);
    rejects("sip:alice@atlanta.com?subject", /header "subject" has no "="/);
    rejects("sip:alice@atlanta.com?=x", /empty header name/);
    rejects("sip:alice@atlanta.com?a=b&", /empty header name/);
    rejects("sip:alice@atlanta.com?a=b;lr", /character ";" not allowed in header "a"/);
    rejects("sip:alice@atlanta.com?a=b=c", /character "=" not allowed in header "a"/);
    rejects("sip:alice@atlanta.com?to=bob@biloxi.com", /character "@" not allowed in header "to"/);
  });

  it("serializes canonically: unnecessary escapes decoded, needed ones upper-cased", () => {
    const u = sip("sip:%61lice:p%61ss@atlanta.com;%74ransport=tcp;x=%5b1%5d?%73ubject=a%2fb%20c");
    assert.equal(u.user, "alice");
    assert.equal(u.password, "pass");
    assert.equal(u.transport, "tcp");
    assert.equal(u.params.get("x"), "[1]");
    assert.deepEqual(u.headers, [["subject", "a/b c"]]);
    assert.equal(u.toString(), "sip:alice:pass@atlanta.com;transport=tcp;x=[1]?subject=a%2Fb%20c");
    roundTrips(u);
  });

  it("returns the input from toString() when it is already canonical", () => {
    const text = "sip:alice@192.0.2.4:5060;transport=udp";
    assert.equal(sip(text).toString(), text);
  });
});

describe("parseUri: SIP URIs in a range of a larger text", () => {
  /** Parses `uri` as the range it is in `before + uri + after`, the way header parsers call parseUri. */
  function sipIn(before: string, uri: string, after: string): SipUri {
    const u = parseUri(before + uri + after, "URI", before.length, before.length + uri.length);
    assert.ok(u instanceof SipUri, `${uri} should parse to a SipUri`);
    return u;
  }

  it("reads only the range: an '@' after it does not make a user part", () => {
    const u = sipIn("Route: <", "sip:edge1.example.net;lr", ">\r\nCall-ID: a84b4c76e66710@pc33.atlanta.com\r\n");
    assert.equal(u.user, undefined);
    assert.equal(u.host, "edge1.example.net");
    assert.equal(u.lr, true);
    assert.equal(u.toString(), "sip:edge1.example.net;lr");
  });

  it("builds the parameters from the text when first read, whatever is read first", () => {
    const uri = "sip:alice@atlanta.com:5060;transport=udp;lr;x=a/b";
    const a = sipIn("To: <", uri, ">;tag=1@x");
    assert.deepEqual([...a.params], [["transport", "udp"], ["lr", null], ["x", "a/b"]]);
    assert.equal(a.toString(), uri);
    const b = sipIn("To: <", uri, ">;tag=1@x");
    assert.equal(b.toString(), uri);
    assert.equal(b.transport, "udp");
    assert.ok(uriEquals(a, b));
    assert.equal(b.withParam("x", "c").toString(), "sip:alice@atlanta.com:5060;transport=udp;lr;x=c");
    assert.equal(b.with({ port: undefined }).toString(), "sip:alice@atlanta.com;transport=udp;lr;x=a/b");
    assert.equal(sipIn("<", "sip:a@b.com", ">").params.size, 0);
  });

  it("reads the parameters' getters from the text too, before and after the parameters are built", () => {
    const uri = "sip:gw.example.com;maddr=192.0.2.1;ttl=16;method=INVITE;user=phone;transport=TCP;lr";
    for (const buildFirst of [false, true]) {
      const u = sipIn("Route: <", uri, ">, <sip:x@y;lr>");
      if (buildFirst) assert.equal(u.params.size, 6);
      assert.deepEqual([u.maddr, u.ttl, u.method, u.userParam, u.transport, u.lr], ["192.0.2.1", 16, "INVITE", "phone", "tcp", true]);
    }
    const v = sipIn("<", "sip:gw.example.com;lrx;xlr=1", ">;lr");
    assert.deepEqual([v.lr, v.transport, v.maddr, v.ttl], [false, undefined, undefined, undefined]);
  });

  it("takes what precedes the first '@' as the userinfo, even when it looks like a host and port", () => {
    const u = sip("sip:alice:5060@atlanta.com");
    assert.equal(u.user, "alice");
    assert.equal(u.password, "5060");
    assert.equal(u.port, undefined);
    const v = sip("sip:atlanta.com;x=1@biloxi.com");
    assert.equal(v.user, "atlanta.com;x=1");
    assert.equal(v.host, "biloxi.com");
    assert.equal(v.params.size, 0);
    assert.equal(sip("sip:+1-212-555-1212@gw.example.com;user=phone").user, "+1-212-555-1212");
  });

  it("reports the first problem in the URI, wherever the '@' is", () => {
    rejects("sip:alice@atlanta.com;lr;lr", /duplicate parameter "lr"/, 25);
    rejects("sip:alice;lr@atlanta.com;lr;lr", /duplicate parameter "lr"/, 28);
    rejects("sip:a b@atlanta.com", /white space not allowed in the user part/, 5);
    rejects("sip:atlanta.com:5060;transport=t(p", /invalid transport parameter "t\(p"/, 21);
    rejects("sip:alice@atlanta.com@biloxi.com", /character "@" not allowed in the host "atlanta.com"/, 21);
  });
});

describe("parseUri: tel", () => {
  it("parses a global number with phone-context", () => {
    const u = tel("tel:+1-201-555-0123;phone-context=example.com");
    assert.equal(u.scheme, "tel");
    assert.equal(u.number, "+1-201-555-0123");
    assert.equal(u.isGlobal, true);
    assert.equal(u.phoneContext, "example.com");
    assert.equal(u.toString(), "tel:+1-201-555-0123;phone-context=example.com");
  });

  it("parses local numbers, extensions and subaddresses", () => {
    const u = tel("tel:7042;phone-context=+1-201;ext=22;isub=1411");
    assert.equal(u.isGlobal, false);
    assert.equal(u.number, "7042");
    assert.equal(u.phoneContext, "+1-201");
    assert.equal(u.ext, "22");
    assert.equal(u.isub, "1411");
    assert.equal(tel("tel:*21#;phone-context=example.com").number, "*21#");
    assert.equal(tel("tel:(0)30.123-456;phone-context=+49").number, "(0)30.123-456");
  });

  it("accepts a local number without phone-context (leniency; RFC 3966 §5.1.5 is left to validation)", () => {
    const u = tel("tel:911");
    assert.equal(u.isGlobal, false);
    assert.equal(u.phoneContext, undefined);
  });

  it("unescapes and lower-cases parameters", () => {
    const u = tel("tel:+358-555-1234567;POSTD=PP22;foo=a%2Fb");
    assert.equal(u.params.get("postd"), "PP22");
    assert.equal(u.params.get("foo"), "a/b");
    assert.equal(u.toString(), "tel:+358-555-1234567;postd=PP22;foo=a%2Fb");
  });

  it("rejects invalid tel URIs", () => {
    rejects("tel:", /missing telephone number/);
    rejects("tel:+", /invalid telephone number "\+"/);
    rejects("tel:--", /invalid telephone number/);
    rejects("tel:+1-201-555-0123?x=y", /character "\?" not allowed in the telephone number/);
    rejects("tel:+1 201", /white space not allowed in the telephone number/);
    rejects("tel:+12a", /character "a" not allowed in the telephone number/);
    rejects("tel:+1;ext=12x", /invalid ext parameter "12x"/);
    rejects("tel:+1;phone-context=+", /invalid phone-context/);
    rejects("tel:7042;phone-context", /needs a value/);
    rejects("tel:+1;ext=1;ext=2", /duplicate parameter "ext"/);
    rejects("tel:+1;p_x=1", /character "_" not allowed in a parameter name/);
    rejects("tel:+1;%70=1", /escaped characters are not allowed in a parameter name/);
  });
});

describe("parseUri: other schemes", () => {
  it("returns AbsoluteUri for unknown schemes without error (RFC 4475 §3.3.8, §3.3.9, §3.3.10)", () => {
    for (const [text, scheme] of [
      ["http://www.example.com", "http"],
      ["soap.beep://192.0.2.103:3002", "soap.beep"],
      ["nobarr.url.com:fdsa?sd", "nobarr.url.com"],
      ["isbn:2983792873", "isbn"],
      ["name:John_Smith", "name"],
      ["URN:service:sos", "urn"],
      ["mailto:alice@atlanta.com", "mailto"],
      ["sipx:alice@atlanta.com", "sipx"],
    ] as const) {
      const u = parseUri(text);
      assert.ok(u instanceof AbsoluteUri, text);
      assert.equal(u.scheme, scheme);
      assert.equal(u.text, text);
      assert.equal(u.toString(), text);
    }
  });

  it("rejects text without a scheme", () => {
    rejects("", /empty URI/);
    rejects("alice@atlanta.com", /missing or invalid scheme/);
    rejects(":alice", /missing or invalid scheme/);
    rejects("1sip:alice@atlanta.com", /missing or invalid scheme/);
    rejects("sip", /missing or invalid scheme/);
  });

  it("rejects forbidden chars in unknown-scheme URIs too", () => {
    rejects("http:", /nothing after the scheme/);
    rejects("http://www.example.com/a b", /white space not allowed in a URI/);
    rejects('http://www.example.com/"', /character """ not allowed in a URI/);
    rejects("http://www.example.com/\xe9", /non-ASCII byte/);
  });
});
