export {
  type DeviceAccount,
  type HostPort,
  type Transport,
  type SrtpMode,
  type Codec,
  CODECS,
  ProvisioningInputError,
  validateDeviceAccount,
} from "./account.js";
export { type Mac, parseMac, requireMac, macLower, macUpper, macColons } from "./mac.js";
export { escapeXml } from "./xml.js";
export { type ProvisioningFile, type DeviceFamily, DEVICE_FAMILIES } from "./file.js";
export { yealinkConfig, yealinkTimeZone } from "./yealink.js";
export { polycomMasterConfig, polycomAccountConfig, polycomAccountFileName } from "./polycom.js";
export { grandstreamConfig } from "./grandstream.js";
export { snomConfig, snomFileName } from "./snom.js";
export { linphoneConfig, linphoneFileName, sipQuoted } from "./linphone.js";
export { type ProvisioningRequest, routeProvisioningPath, deviceFamilyFromUserAgent } from "./router.js";
export { provisioningFileFor } from "./generate.js";
