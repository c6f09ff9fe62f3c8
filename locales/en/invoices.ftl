## Invoices
command-request = Ask for a payment (invoice)
invoice-usage =
    <b>Ask for a payment</b>
    /request &lt;amount&gt; &lt;asset&gt; [what it is for]
    For example: <code>/request 10 XLM coffee beans</code>, <code>/request 25 USDT</code>, <code>/request 50 XTR tip</code> (Telegram Stars).
    I answer with an invoice card: anyone can pay it with the Pay button, or from another wallet with the QR code.
invoice-card-title = 🧾 <b>Payment request</b>
invoice-card-amount = <b>{ $amount } { $asset }</b> · { $network }
invoice-card-description = “{ $description }”
invoice-card-payee-address = To: <code>{ $address }</code>
invoice-card-memo = Memo (ID): <code>{ $memo }</code>
invoice-card-issuer = Issuer: <code>{ $issuer }</code>
invoice-card-token = Token contract: <code>{ $token }</code>
invoice-card-expiry = Valid until { $expiry }
invoice-card-status-open = Status: open
invoice-card-status-paid = Status: ✅ paid
invoice-card-status-expired = Status: ⌛ expired
invoice-card-status-cancelled = Status: ✖️ cancelled
invoice-card-link = Pay in Telegram: { $link }
invoice-network-stellar = Stellar
invoice-network-evm = EVM chain { NUMBER($chainId, useGrouping: 0) }
invoice-network-stars = Telegram Stars
invoice-button-pay = 💳 Pay
invoice-button-share = ↗️ Share
invoice-button-other-wallet = 🌐 Other wallet
invoice-button-cancel = ✖️ Cancel invoice
invoice-share-text = Please pay { $amount } { $asset }: { $description }
invoice-refusal-missing-amount = Tell me the amount and the asset, for example <code>/request 10 XLM coffee beans</code>.
invoice-refusal-missing-asset = Which asset? For example <code>/request 10 XLM</code>, <code>/request 25 USDT</code> or <code>/request 50 XTR</code>.
invoice-refusal-description-too-long = The description is too long: 140 characters at most.
invoice-refusal-unknown-asset = I do not know the asset “{ $asset }”. Use XLM, XTR (Telegram Stars), your EVM chain's coin, a token I list, or an asset your Stellar wallet trusts.
invoice-refusal-ambiguous-asset = “{ $asset }” could mean more than one asset. Write it as CODE:ISSUER for a Stellar asset.
invoice-refusal-invalid-amount = That amount does not work for { $asset }: it must be above zero, with no more decimals than the asset has (Stars are whole, at most 10000).
invoice-refusal-no-wallet = You need a wallet to be paid into. Send /wallet to me in a private chat first.
invoice-refusal-wallet-not-active = Your Stellar wallet is not active yet. Try again once I tell you it is.
invoice-refusal-no-trustline = Your Stellar wallet does not trust { $asset }, so it cannot receive it.
invoice-not-found = I cannot find that invoice. The link may be mistyped.
invoice-not-payable-paid = This invoice has already been paid.
invoice-not-payable-expired = This invoice has expired and can no longer be paid.
invoice-not-payable-cancelled = This invoice was cancelled by the person who asked for it.
invoice-own = This is your own invoice, so you cannot pay it. Share it with whoever should pay.
invoice-pay-heading = 🧾 <b>You are paying an invoice</b>
invoice-pay-need-wallet = To pay this invoice you need an active { $network } wallet here: send /wallet. You can also pay from another wallet with the invoice's QR code.
invoice-pay-already-open = You already have a confirmation for this invoice: use its buttons.
invoice-pay-in-progress = Your payment of this invoice is already under way.
invoice-pay-too-many-attempts = Too many attempts to pay this invoice. Please pay it from another wallet.
invoice-press-unknown = This button is no longer valid.
invoice-press-used = This button was already used.
invoice-press-expired = This button has expired.
invoice-press-not-yours = Only the person who asked for this payment can cancel it.
invoice-cancelled = The invoice is cancelled.
invoice-cancel-not-open = This invoice is no longer open.
invoice-stars-title = Payment request
invoice-stars-default-description = A payment of { $amount } Telegram Stars.
invoice-stars-price-label = Payment
invoice-stars-thanks = ✅ Thank you! You paid { $amount } ⭐ for “{ $description }”.
invoice-stars-not-settled = Your { $amount } ⭐ arrived after the invoice “{ $description }” was closed, so they did not pay it. The payment is recorded and can be refunded; ask the person who sent you the invoice.
invoice-stars-unknown = I received your Stars payment but cannot find its invoice. It is recorded; please contact support.
invoice-precheckout-unknown = This invoice does not exist.
invoice-precheckout-paid = This invoice has already been paid.
invoice-precheckout-expired = This invoice has expired.
invoice-precheckout-cancelled = This invoice was cancelled.
invoice-precheckout-mismatch = The price of this invoice does not match. Please open it again.
invoice-precheckout-own = You cannot pay your own invoice.
invoice-precheckout-busy = Payments are busy right now. Please try again in a moment.

## Inline invoices
inline-help-title = Ask for a payment
inline-help-description = Type an amount and an asset, e.g. 10 XLM coffee
inline-help-text = To ask for a payment here, type <code>@{ $bot } 10 XLM coffee</code> (amount, asset, what it is for) and pick the invoice.
inline-no-wallet-title = You need a wallet first
inline-no-wallet-text = To ask for payments, open @{ $bot }, send /start and then /wallet.
inline-start-button = Open the bot to get a wallet
inline-refused-title = I cannot make this invoice
inline-invoice-title = Ask for { $amount } { $asset }

## Invoice page
page-title = Payment request
page-qr-alt = QR code of the payment request
page-open-wallet = Open in your wallet
page-open-telegram = Pay in Telegram
page-expiry = Valid until { $expiry }
page-manual = Or copy this payment request into your wallet:
page-status-paid = This invoice has been paid.
page-status-expired = This invoice has expired.
page-status-cancelled = This invoice was cancelled.
page-not-found-title = Invoice not found
page-not-found = There is no invoice at this address. The link may be mistyped.
page-error = Something went wrong. Please try again in a moment.
