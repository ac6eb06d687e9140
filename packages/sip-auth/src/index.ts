export {
  type AuthOutcome,
  type AuthReply,
  type DigestAccount,
  type DigestExchange,
  DigestAuthenticator,
  PROXY_DIGEST,
  reply,
  WWW_DIGEST,
} from "./digest-authenticator.js";
