/** One file as served to a device. */
export interface ProvisioningFile {
  contentType: string;
  fileName: string;
  body: string;
}

export type DeviceFamily = "yealink" | "polycom" | "grandstream" | "snom" | "linphone";
export const DEVICE_FAMILIES: readonly DeviceFamily[] = ["yealink", "polycom", "grandstream", "snom", "linphone"];
