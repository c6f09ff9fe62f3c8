## Payment status
payment-status-signing =
    ⏳ Sending { $amount } { $asset } to <code>{ $destination }</code>
    Signing the transaction…
payment-status-submitted =
    ⏳ Sending { $amount } { $asset } to <code>{ $destination }</code>
    Submitted to the network, waiting for confirmation…
payment-status-confirmed =
    ✅ Sent { $amount } { $asset } to <code>{ $destination }</code>
    Confirmed on the network.
payment-status-failed =
    ❌ Payment of { $amount } { $asset } to <code>{ $destination }</code> failed.
    { $reason }
payment-status-unconfirmed =
    ⚠️ Payment of { $amount } { $asset } to <code>{ $destination }</code> is not confirmed yet.
    The network did not answer in time; the transaction may still go through. Check /wallet later before sending again.
payment-status-explorer = <a href="{ $url }">View the transaction</a>

## Payment failures
payment-failure-insufficient-funds = Your balance is too low for this amount plus the network fee (on Stellar, part of the balance is a reserve that cannot be sent).
payment-failure-destination-no-trustline = The recipient's account cannot hold this asset yet: it needs a trustline for it.
payment-failure-destination-missing = The recipient's Stellar account does not exist yet.
payment-failure-destination-line-full = The recipient's account cannot take that much of this asset.
payment-failure-memo-required = The recipient requires a memo. Send again with the memo they gave you.
payment-failure-not-authorized = The issuer of this asset has not authorized this transfer.
payment-failure-reverted = The token contract rejected the transfer; the network fee was spent.
payment-failure-daily-limit = This would exceed your daily sending limit for this asset. Try again tomorrow.
payment-failure-fee-too-high = Network fees are unusually high right now. Try again later.
payment-failure-signer-refused = Our signing service refused this payment. Nothing was sent.
payment-failure-invoice-paid = This invoice has already been paid. Nothing was sent.
payment-failure-invoice-expired = This invoice has expired. Nothing was sent.
payment-failure-invoice-cancelled = This invoice was cancelled. Nothing was sent.
payment-failure-wallet-unavailable = Your wallet cannot send this payment right now. Nothing was sent.
payment-failure-gave-up = The network kept refusing the transaction. Nothing was sent; please try again.
payment-failure-network = The network could not be reached. Nothing was sent; please try again later.
payment-failure-rejected = The network refused the transaction.
