import assert from "node:assert/strict";
import { test } from "node:test";
import { provisioningFileFor } from "./generate.js";
import { type ProvisioningRequest, routeProvisioningPath } from "./router.js";
import { FULL_ACCOUNT, GS_MAC, LINPHONE_TOKEN, POLY_MAC, SNOM_MAC, YEALINK_MAC } from "./test-accounts.js";

const REQUESTS: Array<[ProvisioningRequest, string, string]> = [
  [{ family: "yealink", mac: YEALINK_MAC }, "/0015651234ab.cfg", "account.1.password = s3cr3t-Pa55"],
  [{ family: "polycom", mac: POLY_MAC, file: "master" }, "/0004f2abcdef.cfg", 'CONFIG_FILES="0004f2abcdef-sipfleet.cfg"'],
  [{ family: "polycom", mac: POLY_MAC, file: "account" }, "/0004f2abcdef-sipfleet.cfg", 'reg.1.auth.password="s3cr3t-Pa55"'],
  [{ family: "grandstream", mac: GS_MAC }, "/cfg000b82123456.xml", "<P34>s3cr3t-Pa55</P34>"],
  [{ family: "snom", mac: SNOM_MAC }, "/snom-0004132ABCDE.xml", '<user_pass idx="1" perm="R">s3cr3t-Pa55</user_pass>'],
  [{ family: "linphone", token: LINPHONE_TOKEN }, `/linphone/${LINPHONE_TOKEN}.xml`, '<entry name="passwd" overwrite="true">s3cr3t-Pa55</entry>'],
];

for (const [request, path, marker] of REQUESTS) {
  const label = request.family + ("file" in request ? ` ${request.file}` : "");
  test(`${label}: the file served for a routed request routes back to the same request`, () => {
    assert.deepEqual(routeProvisioningPath(path), request);
    const file = provisioningFileFor(request, FULL_ACCOUNT);
    assert.ok(file.body.includes(marker), `body lacks ${marker}`);
    const servedAt = request.family === "linphone" ? `/linphone/${file.fileName}` : `/${file.fileName}`;
    assert.equal(servedAt, path);
    assert.deepEqual(routeProvisioningPath(servedAt), request);
  });
}
