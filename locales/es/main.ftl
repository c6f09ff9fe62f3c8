## Start
start-greeting =
    ¡Hola, { $name }! 👋
    Guardo tus billeteras cripto aquí mismo en Telegram: una en Stellar y otra en cadenas EVM.
    Envía /wallet para obtener las tuyas, o /help para ver todo lo que puedo hacer.
start-choose-language = ¿Prefieres otro idioma? Elige uno abajo.

## Language
language-prompt = Elige el idioma en que debo hablarte:
language-changed = Listo: desde ahora te hablaré en español.
language-name = Español

## Wallet
wallet-creating = Creando tus billeteras… esto tarda un momento.
wallet-created = Tus billeteras están listas. Tu cuenta de Stellar se está activando; te avisaré cuando termine.
wallet-stellar-title = Billetera Stellar
wallet-evm-title = Billetera EVM (cadena { NUMBER($chainId, useGrouping: 0) })
wallet-stellar-not-active = Aún no está activa: la activación está en camino.
wallet-balance-line = { $asset }: { $amount }
wallet-balance-unavailable = Saldo no disponible en este momento; inténtalo de nuevo en un rato.
wallet-activated =
    ✅ Tu cuenta de Stellar está activa.
    <code>{ $address }</code>
    Envía /wallet para ver tus saldos.
wallet-activation-failed = ⚠️ No pude activar tu cuenta de Stellar. Nuestro equipo ya fue avisado y lo resolverá; mientras tanto tu billetera EVM funciona.
wallet-busy = Todavía estoy preparando tus billeteras. Envía /wallet de nuevo en unos segundos.

## Help
help =
    <b>Lo que puedo hacer</b>
    /wallet – tus billeteras de Stellar y EVM, con códigos QR y saldos
    /send – enviar cripto a una dirección o a un @usuario
    /request – pedir un pago: una tarjeta de factura para compartir (p. ej. /request 10 XLM café)
    /language – cambiar el idioma en que te hablo
    /help – este mensaje
command-start = Empezar y elegir idioma
command-wallet = Tus billeteras y saldos
command-language = Cambiar idioma
command-help = Lo que puedo hacer

## Unhandled
unhandled = No entendí eso. Envía /help para ver lo que puedo hacer.
unhandled-group = Háblame en un chat privado: allí funcionan mis comandos.

## Errors
error-generic = Algo salió mal de nuestro lado. Inténtalo de nuevo en un momento.
error-button-expired = Este botón ya no es válido.
