import type { DeviceAccount } from "./account.js";
import type { ProvisioningFile } from "./file.js";
import { grandstreamConfig } from "./grandstream.js";
import { linphoneConfig } from "./linphone.js";
import { polycomAccountConfig, polycomMasterConfig } from "./polycom.js";
import type { ProvisioningRequest } from "./router.js";
import { snomConfig } from "./snom.js";
import { yealinkConfig } from "./yealink.js";

/** The file a routed request asks for, built from the account the caller looked up for it. */
export function provisioningFileFor(request: ProvisioningRequest, account: DeviceAccount): ProvisioningFile {
  switch (request.family) {
    case "yealink":
      return yealinkConfig(account, request.mac);
    case "polycom":
      // The master file names no secret, but is only served to a known device all the same.
      return request.file === "master" ? polycomMasterConfig(request.mac) : polycomAccountConfig(account, request.mac);
    case "grandstream":
      return grandstreamConfig(account, request.mac);
    case "snom":
      return snomConfig(account, request.mac);
    case "linphone":
      return linphoneConfig(account, request.token);
  }
}
