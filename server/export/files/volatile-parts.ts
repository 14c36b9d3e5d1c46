/**
 * The text without what changes at every read of the same content: the signature, date and
 * expiry of Notion-hosted file URLs (their `&` written as it is, or escaped as HTML writes it),
 * and the id of the request that read an object (the JSON keeps the API's objects as they came).
 * Two files equal without these parts carry the same content: a sync keeps the older one, and
 * "what changed" does not call it edited.
 */
export function withoutVolatileParts(text: string): string {
  return text
    .replace(/((?:[?&]|&amp;|&#x26;)X-Amz-[A-Za-z-]+=)[^&"\s)]*/g, '$1')
    .replace(/("(?:expiry_time|request_id)": )"[^"]*"/g, '$1""');
}
