export {
  type AuthOutcome,
  type AuthReply,
  type DigestExchange,
  DigestAuthenticator,
  PROXY_DIGEST,
  WWW_DIGEST,
} from "./digest-authenticator.js";
