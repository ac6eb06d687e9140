/**
 * Escaping for element text and attribute values alike: all five predefined entities, so a
 * value can go between quotes of either kind. Control characters never reach here
 * (validateDeviceAccount rejects them), and XML 1.0 could not carry most of them anyway.
 */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" };

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
export const XML_CONTENT_TYPE = "application/xml; charset=utf-8";
