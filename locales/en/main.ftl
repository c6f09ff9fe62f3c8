## Start
start-greeting =
    Hi { $name }! 👋
    I keep your crypto wallets right here in Telegram: one on Stellar and one on EVM chains.
    Send /wallet to get yours, or /help to see everything I can do.
start-choose-language = Prefer another language? Pick one below.

## Language
language-prompt = Choose the language I should speak with you:
language-changed = Done: I will speak English with you from now on.
language-name = English

## Wallet
wallet-creating = Creating your wallets… this takes a moment.
wallet-created = Your wallets are ready. Your Stellar account is being activated; I will tell you when it is done.
wallet-stellar-title = Stellar wallet
wallet-evm-title = EVM wallet (chain { NUMBER($chainId, useGrouping: 0) })
wallet-stellar-not-active = Not active yet: activation is on its way.
wallet-balance-line = { $asset }: { $amount }
wallet-balance-unavailable = Balance unavailable right now; try again in a moment.
wallet-activated =
    ✅ Your Stellar account is active.
    <code>{ $address }</code>
    Send /wallet to see your balances.
wallet-activation-failed = ⚠️ I could not activate your Stellar account. Our team has been told and will sort it out; your EVM wallet works meanwhile.
wallet-busy = I am still setting up your wallets. Send /wallet again in a few seconds.

## Help
help =
    <b>What I can do</b>
    /wallet – your Stellar and EVM wallets, with QR codes and balances
    /send – send crypto to an address or to a @username
    /request – ask for a payment: an invoice card to share (e.g. /request 10 XLM coffee)
    /language – change the language I speak
    /help – this message
command-start = Start and pick a language
command-wallet = Your wallets and balances
command-language = Change language
command-help = What I can do

## Unhandled
unhandled = I did not understand that. Send /help to see what I can do.
unhandled-group = Please talk to me in a private chat: my commands work there.

## Errors
error-generic = Something went wrong on our side. Please try again in a moment.
error-button-expired = This button is no longer valid.
