## Deposits
deposit-received = 💰 You received <b>{ $amount } { $asset }</b> from { $sender }.
deposit-received-unknown-token =
    ⚠️ You received { $amount } base units of a token that calls itself “{ $asset }” from { $sender }.
    Its contract <code>{ $contract }</code> is not a token I know: it may be a look-alike, and it is not counted as { $asset }.
deposit-memo = Memo: <code>{ $memo }</code>
deposit-sender-telegram-user = a Telegram user
deposit-invoice-paid = 🧾 For invoice “{ $description }”: paid.
deposit-invoice-short = 🧾 For invoice “{ $description }”: too little, { $amount } of { $expected } { $asset }. Not marked paid.
deposit-invoice-wrong-asset = 🧾 For invoice “{ $description }”: wrong asset, it asks for { $expected } { $asset }. Not marked paid.
deposit-invoice-expired = 🧾 For invoice “{ $description }”: the invoice had expired. Not marked paid.
deposit-invoice-cancelled = 🧾 For invoice “{ $description }”: the invoice was cancelled. Not marked paid.
deposit-invoice-already-paid = 🧾 For invoice “{ $description }”: it was already paid, so this payment did not count for it.
deposit-invoice-wrong-destination = 🧾 Its memo names an invoice payable to another address, so it did not count for any invoice.
deposit-invoice-unknown-token = 🧾 It does not pay invoice “{ $description }”, which asks for { $expected } { $asset }.
deposit-invoice-no-invoice = 🧾 Its memo matches none of your invoices.
deposit-reversed = ↩️ The { $amount } { $asset } from { $sender } credited to you earlier was reversed by a chain reorganization: it is no longer in your wallet.
deposit-reversed-invoice = 🧾 Invoice “{ $description }” is unpaid again.
deposit-transaction = Transaction: <code>{ $hash }</code>
invoice-paid = ✅ Invoice “{ $description }” is paid: you received <b>{ $amount } { $asset }</b> from { $sender }.
invoice-paid-stars = ✅ Invoice “{ $description }” is paid: <b>{ $amount } ⭐</b> from { $sender }.
