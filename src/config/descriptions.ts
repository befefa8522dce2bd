// The meaning of each config key that schema.ts defines without an inline `.describe()`, by
// path: `[modem]` is the list element whose `type` is "modem", `[*]` every provider type that has
// the key, `[]` a plain list element, `*` every value of a map. docs/config.md is generated
// from these and the inline descriptions; describeKeys() refuses a path that does not exist.
// New keys: describe them inline in schema.ts instead (see the comment at its top).
export const keyDescriptions: Readonly<Record<string, string>> = {
  listen: 'Where the HTTP API and the console listen.',
  'listen.host': 'Address to bind. The default serves only this machine; use the LAN address (or 0.0.0.0) to serve the network.',
  'listen.port': 'TCP port; 0 picks a free one (tests).',
  dataDir:
    "Directory for everything the daemon keeps: the state file, the encryption key (mode 0600), the audit log, the simulated modem's record. A relative path is resolved against the working directory.",
  trustedProxies:
    'Reverse proxies (exact addresses) whose X-Forwarded-For header is believed for the client address; from anyone else the header is ignored.',

  token: "SMS token behaviour (privacyIDEA's token and policy settings).",
  'token.otpLength': "Digits of a new token's OTP (6 or 8); POST /token/init may choose per token with otplen.",
  'token.challengeValidity': "Seconds an SMS OTP stays valid after it was sent (privacyIDEA's sms.providerTimeout).",
  'token.maxFail': "Failed attempts after which a token is locked (privacyIDEA's maxfail).",
  'token.blockingWindow':
    'Seconds after a challenge during which a repeated PIN sends no second SMS (the first one is still valid); 0 sends one every time.',
  'token.prependPin': "In a one-shot pass (PIN and OTP together) the PIN comes first; false puts the OTP first (privacyIDEA's PrependPin).",
  'token.incFailCountOnFalsePin': 'A wrong PIN also counts as a failed attempt (privacyIDEA 3.11 IncFailCountOnFalsePin).',
  'token.failCounterClearTimeout':
    "Minutes after a token was locked when the next attempt clears its failcounter (privacyIDEA's failcounter_clear_timeout). Default 5, where privacyIDEA's is 0 (only an admin reset unlocks), which lets anyone who knows a user name lock that user out.",
  'token.countWindow':
    'How many earlier counters a replayed OTP is recognised in, to answer "wrong otp value. previous otp used again" as privacyIDEA does (is_previous_otp).',
  'token.hashlib': "HMAC hash of new tokens' HOTP (privacyIDEA's hashlib); per token with hashlib in POST /token/init.",
  'token.defaultRealm': 'Older name of the top-level `defaultRealm` (the realm of users given without one), still honoured when that is unset.',
  'token.challengeText': "Message returned with a challenge (privacyIDEA's challenge text), shown to the user by the client.",

  auth: 'Admin authentication.',
  'auth.jwtValidity': "Seconds an admin JWT from POST /auth is valid (privacyIDEA's default is one hour).",

  sms: 'SMS sending: text, providers, queue and retries.',
  'sms.text':
    "SMS text template; tags {otp} {serial} {user} {username} {givenname} {surname} {userrealm} {time} {date} {challenge} (privacyIDEA's smstext).",
  'sms.providers':
    "Where SMS go, tried in list order: a message moves to the next provider when one fails for good or its circuit breaker is open. Option names of http/sipgate/smtp are privacyIDEA's own.",
  'sms.providers[*].id': 'Name of the provider in /status, metrics, logs and the outbox (1-64 of A-Z a-z 0-9 _ . -, unique).',
  'sms.providers[*].type':
    'Provider kind: "modem" (GSM modems), "simulator" (built-in simulated modem), "http" (HTTP gateway), "sipgate", "smtp" (mail to SMS).',
  'sms.providers[*].breakerThreshold': "Consecutive failures that open this provider's circuit breaker (messages skip it while open).",
  'sms.providers[*].breakerCooldown': 'Seconds the breaker stays open before one probe message is let through.',
  'sms.providers[*].maxAttempts': 'Attempts on this provider for temporary failures before the message moves to the next provider.',
  'sms.providers[modem].device':
    'Serial device (prefer /dev/serial/by-id/..., USB modems renumber) or tcp://host:port (ser2net, simulator). Either this or `modems`.',
  'sms.providers[modem].modems':
    'Several modems pooled behind this provider (one queue); each inherits profile, baudRate and simPin unless it sets its own.',
  'sms.providers[modem].modems[].id': 'Name of this modem in /status and logs.',
  'sms.providers[modem].modems[].device': 'Serial device or tcp://host:port of this modem.',
  'sms.providers[modem].modems[].profile': 'Modem profile (a file in modem-profiles/) for this modem.',
  'sms.providers[modem].modems[].baudRate': 'Serial speed for this modem.',
  'sms.providers[modem].modems[].simPin': "SIM PIN for this modem's SIM (4-8 digits); never logged.",
  'sms.providers[modem].profile': 'Modem profile: a file in modem-profiles/ (init commands, timeouts, quirks, reset, power key).',
  'sms.providers[modem].baudRate': 'Serial speed.',
  'sms.providers[modem].simPin': 'SIM PIN, entered when the SIM asks for it (4-8 digits); never logged.',
  'sms.providers[modem].smsc':
    'Service centre number, international (+49...), set with AT+CSCA at every modem initialisation instead of the one stored on the SIM; for SIMs whose stored SMSC is wrong. Normalised to E.164.',
  'sms.providers[modem].mode':
    'Message format: only "pdu" (the default). Text mode is refused: a Ctrl-Z or ESC in the text would end or cancel the command.',
  'sms.providers[modem].healthPollSeconds': 'Seconds between health polls (signal, registration) of an idle modem.',
  'sms.providers[simulator].profile': 'Modem profile the simulated modem follows.',
  'sms.providers[simulator].submitMs': 'Simulated time the network takes to accept one message, in ms.',
  'sms.providers[simulator].count': 'Simulated modems pooled behind this provider (ids id-1, id-2, ... when more than one).',
  'sms.providers[simulator].simPin': 'SIM PIN the simulated SIM asks for; unset = no PIN.',
  'sms.providers[simulator].healthPollSeconds': 'Seconds between health polls of an idle simulated modem.',
  'sms.providers[simulator].faults': 'Deterministic fault injection for demos and soak runs (see src/sim/).',
  'sms.providers[simulator].faults.seed': 'Seed of the fault generator: the same seed gives the same faults.',
  'sms.providers[simulator].faults.temporaryErrorRate': 'Share of submits answered with a temporary error (retried).',
  'sms.providers[simulator].faults.permanentErrorRate': 'Share of submits answered with a permanent error (not retried on this provider).',
  'sms.providers[simulator].faults.hangRate': 'Share of commands after which the modem stops answering.',
  'sms.providers[simulator].faults.rebootRate': 'Share of commands after which the modem reboots.',
  'sms.providers[simulator].faults.ambiguousRate': 'Share of submits that go out but whose answer is lost (the driver cannot know).',
  'sms.providers[http].URL': "Gateway URL (privacyIDEA's URL).",
  'sms.providers[http].HTTP_METHOD': 'GET (parameters in the query) or POST (in the body).',
  'sms.providers[*].USERNAME': 'User name: HTTP basic auth for http, the account for sipgate.',
  'sms.providers[*].PASSWORD': 'Password for USERNAME; never logged.',
  'sms.providers[*].CHECK_SSL': 'Verify the server\'s TLS certificate ("yes"/"no" as privacyIDEA writes it, or a boolean).',
  'sms.providers[http].SEND_DATA_AS_JSON': 'POST the parameters as a JSON body instead of a form.',
  'sms.providers[http].RETURN_SUCCESS': 'Text the answer must contain for success; unset = any 2xx is success.',
  'sms.providers[http].RETURN_FAIL': 'Text in the answer that means failure, even with a 2xx status.',
  'sms.providers[*].REGEXP':
    "privacyIDEA's phone number rewrite, sed form `/pattern/replacement/`, applied to the E.164 number before it is sent (e.g. `/^\\+/00/`).",
  'sms.providers[*].PROXY': 'Proxy URL for all requests of this provider.',
  'sms.providers[http].HTTP_PROXY': 'Proxy URL for http:// gateway URLs (before PROXY).',
  'sms.providers[http].HTTPS_PROXY': 'Proxy URL for https:// gateway URLs (before PROXY).',
  'sms.providers[*].TIMEOUT': 'Seconds for connecting and for the answer.',
  'sms.providers[http].SMS_PHONENUMBER_KEY': 'Legacy privacyIDEA option: name of the parameter that carries the phone number.',
  'sms.providers[http].SMS_TEXT_KEY': 'Legacy privacyIDEA option: name of the parameter that carries the text.',
  'sms.providers[http].PARAMETER': 'Legacy privacyIDEA option: fixed parameters sent with every message (user names, keys).',
  'sms.providers[http].options': "privacyIDEA's new-style gateway options: each key is one parameter; {phone} and {otp} are substituted in values.",
  'sms.providers[http].headers': 'HTTP headers sent verbatim with every request.',
  'sms.providers[sipgate].URL': "sipgate's XML-RPC endpoint; privacyIDEA hard-codes it, changeable here (and for tests).",
  'sms.providers[smtp].MAILTO': 'Recipient address; {phone} and {otp} (new style) or <phone> and <otp> (legacy) are substituted.',
  'sms.providers[smtp].MAILSERVER': 'SMTP server host name or address.',
  'sms.providers[smtp].MAILSENDER': 'Sender address.',
  'sms.providers[smtp].MAILUSER': 'SMTP login user; unset = no login.',
  'sms.providers[smtp].MAILPASSWORD': 'SMTP login password; never logged.',
  'sms.providers[smtp].SUBJECT': 'Subject template, tags as in MAILTO.',
  'sms.providers[smtp].BODY': 'Body template, tags as in MAILTO.',
  'sms.providers[smtp].PORT': 'SMTP port; unset = 25, or 465 with TLS.',
  'sms.providers[smtp].TLS': 'Implicit TLS (SMTPS) from the first byte.',
  'sms.providers[smtp].STARTTLS': 'Require STARTTLS on a plain connection (refuse to send without it).',
  'sms.retryBaseMs': 'First delay before a temporary failure is retried, in ms; it doubles per attempt up to retryMaxMs.',
  'sms.retryMaxMs': 'Longest delay between retries, in ms (at least retryBaseMs).',
  'sms.maxQueued': 'Messages not yet final (queued, sending) at most; /sms/send refuses beyond, so memory stays bounded.',
  'sms.keepFinalHours': 'Hours a final message (sent, delivered, failed, expired) stays queryable with GET /sms/<id> and on the status page.',
  'sms.keepFinalMax': 'Final messages kept at most (the oldest go first).',
  'sms.reportWindowHours': 'Hours after sending within which a status report is matched to its message (the TP-MR reference wraps at 256 per SIM).',
  'sms.inboxMax': 'Received SMS kept for GET /sms/inbox; beyond it the oldest go.',

  limits: 'Limits against abuse: SMS bombing, request floods, large bodies.',
  'limits.smsPerWindow': 'SMS challenges at most per token (and per phone number) in smsWindow seconds.',
  'limits.smsWindow': 'Window of smsPerWindow, in seconds.',
  'limits.validatePerSecond': '/validate/check requests per client address per second (token bucket rate).',
  'limits.validateBurst': 'Burst of the /validate/check token bucket.',
  'limits.bodyBytes': 'Largest request body in bytes; larger ones get 413.',

  audit: 'The audit log (JSON lines in dataDir, rotated).',
  'audit.maxBytes': 'Rotate the audit log at this size in bytes.',
  'audit.keep': 'Rotated audit files kept.',

  log: 'Daemon log (JSON lines on stdout).',
  'log.level': 'Least severe level written: fatal, error, warn, info, debug, trace, or silent.',
};
