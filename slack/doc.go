// Package slack is koe's Slack wire format: what koe's Slack integration
// (docs/architecture.md, "Integrations: webhooks and Slack") sends to
// Slack and reads from it, without any of koe's domain or storage.
//
//   - Verify checks the v0 signature Slack puts on every request to koe's
//     interactivity endpoint, and Replays refuses a signed request seen
//     before;
//   - DecodeInteraction reads a button press (a block_actions payload);
//   - ReviewMessage, DecisionMessage and DigestMessage build the Block Kit
//     messages: an item waiting for a moderator with Approve / Reject /
//     Ban buttons, the same item once decided, and a talk's digest;
//   - Client posts and updates them (chat.postMessage, chat.update), sends
//     them to an incoming webhook, and answers a button press through its
//     response_url, with errors that say whether and when to try again.
//
// The Block Kit types are github.com/slack-go/slack's. The HTTP client is
// our own, on net/http: its base URL is configurable (package slacktest
// serves the same wire format for tests), a 429 becomes a
// *RateLimitedError with the Retry-After, an "ok": false answer an
// *APIError with Slack's code, and every error carries the HTTP status
// for the delivery log. The button press is decoded into our own small
// struct too: koe needs eight fields, and decoding the whole of
// slack.InteractionCallback (every block type of the original message)
// for them would only widen what outside input reaches.
package slack
