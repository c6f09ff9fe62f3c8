## Send
command-send = Enviar cripto a una dirección o a un usuario
send-no-wallet = Aún no tienes billetera. Envía /wallet para crearla y luego /send de nuevo.
send-nothing-to-send = Todavía no hay nada desde donde enviar: tu cuenta de Stellar se está activando. Inténtalo de nuevo en un momento.
send-ask-asset = ¿Qué quieres enviar?
send-asset-button = { $asset } · { $network } · { $balance }
send-asset-chosen = Enviando { $asset }.
send-use-buttons = Elige uno de los botones de arriba, o envía /cancel.
send-expects-text = Responde con un mensaje de texto, o envía /cancel.
send-ask-amount = ¿Cuánto { $asset }? Tienes { $balance }. (Envía /cancel para dejarlo.)
send-ask-destination-stellar = ¿Quién lo recibe? Envía una dirección de Stellar (G… o M…) o el @usuario de alguien que use este bot.
send-ask-destination-evm = ¿Quién lo recibe? Envía una dirección EVM (0x…) o el @usuario de alguien que use este bot.
send-ask-memo = ¿Añadir un memo? Envíalo ahora: texto de hasta 28 bytes, o un número para un memo ID. Los exchanges suelen exigir el que te dieron. Si no, pulsa Omitir.
send-memo-skip = Omitir
send-cancel-button = Cancelar
send-cancelled = Cancelado. No se envió nada.
send-nothing-to-cancel = No hay nada que cancelar.

## Send refusals
send-refusal-amount-format = No entiendo ese importe. Envía cifras con un punto para los decimales, por ejemplo 12.5
send-refusal-amount-decimal-comma = Usa un punto para los decimales, por ejemplo 12.5
send-refusal-amount-negative = El importe debe ser mayor que cero.
send-refusal-amount-zero = El importe debe ser mayor que cero.
send-refusal-amount-too-many-decimals = { $asset } tiene como máximo { $decimals } decimales. Envía un importe más corto.
send-refusal-amount-too-large = Ese importe es mayor de lo que { $asset } puede contener.
send-refusal-destination-empty = Envía una dirección o un @usuario.
send-refusal-destination-secret-key = ⚠️ ¡Eso es una clave secreta, no una dirección! No la compartas con nadie. Envía en su lugar la dirección del destinatario (G…).
send-refusal-destination-stellar-invalid = Esa dirección de Stellar no es válida: falta o sobra un carácter. Cópiala de nuevo.
send-refusal-destination-evm-invalid = Esa dirección EVM no es válida: debe ser 0x seguido de 40 dígitos hexadecimales.
send-refusal-destination-evm-checksum = Esa dirección EVM tiene una errata: sus mayúsculas no coinciden con su suma de control. Cópiala de nuevo.
send-refusal-destination-evm-zero = Esa es la dirección cero: lo que se envía ahí se pierde para siempre.
send-refusal-destination-username-invalid = Ese no es un nombre de usuario de Telegram válido (5–32 letras, cifras o _).
send-refusal-destination-unrecognized = No reconozco eso como una dirección ni como un @usuario.
send-refusal-wrong-chain-stellar = Esa no es una dirección de Stellar. { $asset } solo puede ir a una dirección de Stellar (G… o M…) o a un @usuario.
send-refusal-wrong-chain-evm = Esa no es una dirección EVM. { $asset } solo puede ir a una dirección EVM (0x…) o a un @usuario.
send-refusal-source-not-ready-stellar = Tu billetera de Stellar aún no está lista. Envía /wallet para ver cómo va.
send-refusal-source-not-ready-evm = Aún no tienes billetera EVM. Envía /wallet para crearla.
send-refusal-source-not-authorized = El emisor de este activo no te permite enviarlo ahora.
send-refusal-asset-unknown = No puedes enviar este activo desde tu billetera.
send-refusal-unknown-user = No conozco a @{ $username }. Primero tiene que iniciar un chat conmigo y crear una billetera.
send-refusal-recipient-no-wallet = @{ $username } aún no tiene billetera de { $network }.
send-refusal-self-payment = Esa es tu propia billetera. Envía a otra persona.
send-refusal-insufficient-balance = No tienes suficiente { $asset }: ahora puedes enviar como máximo { $available } { $asset } y pediste { $requested }. (En Stellar, parte de tus XLM queda como reserva mínima de la cuenta, y cada pago paga una pequeña comisión de red.)
send-refusal-insufficient-fee-balance = No tienes suficiente { $asset } para la comisión de red: hacen falta { $required } { $asset } y tienes { $available } { $asset } libres.
send-refusal-destination-missing = La cuenta todavía no existe en Stellar. Crearla requiere al menos 1 XLM, cosa que /send no puede hacer: pide al destinatario que la active primero.
send-refusal-destination-no-trustline = La cuenta del destinatario no puede recibir { $asset }: no tiene una línea de confianza (trustline) para él. Pídele que la añada primero.
send-refusal-destination-not-authorized = El emisor no ha autorizado a la cuenta del destinatario a tener { $asset }.
send-refusal-destination-line-full = La cuenta del destinatario no puede recibir tanto { $asset }: superaría el límite de su línea de confianza.
send-refusal-memo-required = Este destino exige un memo (SEP-29), por ejemplo el ID de depósito que te dio un exchange. Envía el memo.
send-refusal-memo-too-long = Un memo admite como máximo { $maxBytes } bytes. Acórtalo.
send-refusal-memo-not-supported = Los pagos EVM no pueden llevar memo.

## Payment confirmation
send-summary-title = <b>Revisa tu pago</b>
send-summary-amount = Importe: <b>{ $amount } { $asset }</b>
send-summary-network = Red: { $network }
send-summary-issuer = Emisor: <code>{ $address }</code>
send-summary-token = Contrato del token: <code>{ $address }</code>
send-summary-to-user =
    Para: @{ $username }
    <code>{ $address }</code>
send-summary-to-address =
    Para:
    <code>{ $address }</code>
send-summary-memo-text = Memo: { $memo }
send-summary-memo-id = Memo (ID): { $memo }
send-summary-fee = Comisión de red: como máximo { $fee } { $asset }
send-summary-expiry = Confirma en { $minutes } min; no se envía nada hasta que lo hagas.
send-confirm-button = ✅ Confirmar
send-cancel-payment-button = ✖️ Cancelar
send-status-signing = ⏳ Firmando: { $amount } { $asset } para { $recipient }…
send-status-cancelled = ✖️ Cancelado: { $amount } { $asset } para { $recipient } no se envió.
send-status-not-started = ⚠️ No se pudo iniciar el pago y no se envió nada. Vuelve a intentarlo con /send.
send-press-unknown = Este botón ya no es válido.
send-press-used = Esto ya se hizo.
send-press-expired = Esta confirmación ha caducado. Empieza de nuevo con /send.
send-press-not-yours = Este botón no es para ti.
