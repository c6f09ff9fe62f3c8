## Send
command-send = Send crypto to an address or a user
send-no-wallet = You have no wallet yet. Send /wallet to create one, then /send again.
send-nothing-to-send = There is nothing to send from yet: your Stellar account is still being activated. Try again in a moment.
send-ask-asset = What do you want to send?
send-asset-button = { $asset } · { $network } · { $balance }
send-asset-chosen = Sending { $asset }.
send-use-buttons = Please pick one of the buttons above, or send /cancel.
send-expects-text = Please answer with a text message, or send /cancel.
send-ask-amount = How much { $asset }? You hold { $balance }. (Send /cancel to stop.)
send-ask-destination-stellar = Who gets it? Send a Stellar address (G… or M…) or the @username of someone who uses this bot.
send-ask-destination-evm = Who gets it? Send an EVM address (0x…) or the @username of someone who uses this bot.
send-ask-memo = Add a memo? Send it now: text up to 28 bytes, or a number for a memo ID. Exchanges usually need the one they gave you. Otherwise press Skip.
send-memo-skip = Skip
send-cancel-button = Cancel
send-cancelled = Cancelled. Nothing was sent.
send-nothing-to-cancel = There is nothing to cancel.

## Send refusals
send-refusal-amount-format = That is not an amount I can read. Send digits with a dot for decimals, for example 12.5
send-refusal-amount-decimal-comma = Please use a dot for decimals, for example 12.5
send-refusal-amount-negative = The amount must be more than zero.
send-refusal-amount-zero = The amount must be more than zero.
send-refusal-amount-too-many-decimals = { $asset } has at most { $decimals } decimals. Please send a shorter amount.
send-refusal-amount-too-large = That amount is larger than { $asset } can hold.
send-refusal-destination-empty = Please send an address or a @username.
send-refusal-destination-secret-key = ⚠️ That is a secret key, not an address! Never share it with anyone. Send the recipient's address (G…) instead.
send-refusal-destination-stellar-invalid = That Stellar address is not valid: a character is wrong or missing. Please copy it again.
send-refusal-destination-evm-invalid = That EVM address is not valid: it must be 0x followed by 40 hexadecimal digits.
send-refusal-destination-evm-checksum = That EVM address has a typo: its capital letters do not match its checksum. Please copy it again.
send-refusal-destination-evm-zero = That is the zero address: anything sent there is lost forever.
send-refusal-destination-username-invalid = That is not a valid Telegram username (5–32 letters, digits or _).
send-refusal-destination-unrecognized = I do not recognise that as an address or a @username.
send-refusal-wrong-chain-stellar = That is not a Stellar address. { $asset } can only go to a Stellar address (G… or M…) or a @username.
send-refusal-wrong-chain-evm = That is not an EVM address. { $asset } can only go to an EVM address (0x…) or a @username.
send-refusal-source-not-ready-stellar = Your Stellar wallet is not ready yet. Send /wallet to check on it.
send-refusal-source-not-ready-evm = You have no EVM wallet yet. Send /wallet to create it.
send-refusal-source-not-authorized = The issuer of this asset does not allow you to send it right now.
send-refusal-asset-unknown = You cannot send this asset from your wallet.
send-refusal-unknown-user = I do not know @{ $username }. They need to start a chat with me and create a wallet first.
send-refusal-recipient-no-wallet = @{ $username } has no { $network } wallet yet.
send-refusal-self-payment = That is your own wallet. Please send to someone else.
send-refusal-insufficient-balance = Not enough { $asset }: you can send at most { $available } { $asset } now, and asked for { $requested }. (On Stellar, part of your XLM stays as the account's minimum reserve, and every payment pays a small network fee.)
send-refusal-insufficient-fee-balance = Not enough { $asset } for the network fee: it needs { $required } { $asset } and you have { $available } { $asset } free.
send-refusal-destination-missing = The account does not exist yet on Stellar. Creating it needs at least 1 XLM, which /send cannot do: ask the recipient to activate it first.
send-refusal-destination-no-trustline = The recipient's account cannot receive { $asset }: it has no trustline for it. Ask them to add one first.
send-refusal-destination-not-authorized = The issuer has not authorized the recipient's account to hold { $asset }.
send-refusal-destination-line-full = The recipient's account cannot take that much { $asset }: it would pass the limit of its trustline.
send-refusal-memo-required = This destination requires a memo (SEP-29), for example the deposit ID an exchange gave you. Please send the memo.
send-refusal-memo-too-long = A memo holds at most { $maxBytes } bytes. Please shorten it.
send-refusal-memo-not-supported = EVM payments cannot carry a memo.

## Payment confirmation
send-summary-title = <b>Please check your payment</b>
send-summary-amount = Amount: <b>{ $amount } { $asset }</b>
send-summary-network = Network: { $network }
send-summary-issuer = Issuer: <code>{ $address }</code>
send-summary-token = Token contract: <code>{ $address }</code>
send-summary-to-user =
    To: @{ $username }
    <code>{ $address }</code>
send-summary-to-address =
    To:
    <code>{ $address }</code>
send-summary-memo-text = Memo: { $memo }
send-summary-memo-id = Memo (ID): { $memo }
send-summary-fee = Network fee: at most { $fee } { $asset }
send-summary-expiry = Confirm within { $minutes } min; nothing is sent until you do.
send-confirm-button = ✅ Confirm
send-cancel-payment-button = ✖️ Cancel
send-status-signing = ⏳ Signing: { $amount } { $asset } to { $recipient }…
send-status-cancelled = ✖️ Cancelled: { $amount } { $asset } to { $recipient } was not sent.
send-status-not-started = ⚠️ The payment could not be started and nothing was sent. Please try /send again.
send-press-unknown = This button is no longer valid.
send-press-used = This was already done.
send-press-expired = This confirmation has expired. Start again with /send.
send-press-not-yours = This button is not for you.
