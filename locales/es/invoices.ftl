## Invoices
command-request = Pedir un pago (factura)
invoice-usage =
    <b>Pedir un pago</b>
    /request &lt;importe&gt; &lt;activo&gt; [concepto]
    Por ejemplo: <code>/request 10 XLM granos de café</code>, <code>/request 25 USDT</code>, <code>/request 50 XTR propina</code> (Telegram Stars).
    Te respondo con una tarjeta de factura: cualquiera puede pagarla con el botón Pagar, o desde otra billetera con el código QR.
invoice-card-title = 🧾 <b>Solicitud de pago</b>
invoice-card-amount = <b>{ $amount } { $asset }</b> · { $network }
invoice-card-description = «{ $description }»
invoice-card-payee-address = Para: <code>{ $address }</code>
invoice-card-memo = Memo (ID): <code>{ $memo }</code>
invoice-card-issuer = Emisor: <code>{ $issuer }</code>
invoice-card-token = Contrato del token: <code>{ $token }</code>
invoice-card-expiry = Válida hasta { $expiry }
invoice-card-status-open = Estado: abierta
invoice-card-status-paid = Estado: ✅ pagada
invoice-card-status-expired = Estado: ⌛ vencida
invoice-card-status-cancelled = Estado: ✖️ cancelada
invoice-card-link = Pagar en Telegram: { $link }
invoice-network-stellar = Stellar
invoice-network-evm = cadena EVM { NUMBER($chainId, useGrouping: 0) }
invoice-network-stars = Telegram Stars
invoice-button-pay = 💳 Pagar
invoice-button-share = ↗️ Compartir
invoice-button-other-wallet = 🌐 Otra billetera
invoice-button-cancel = ✖️ Cancelar factura
invoice-share-text = Por favor, paga { $amount } { $asset }: { $description }
invoice-refusal-missing-amount = Dime el importe y el activo, por ejemplo <code>/request 10 XLM granos de café</code>.
invoice-refusal-missing-asset = ¿Qué activo? Por ejemplo <code>/request 10 XLM</code>, <code>/request 25 USDT</code> o <code>/request 50 XTR</code>.
invoice-refusal-description-too-long = El concepto es demasiado largo: 140 caracteres como máximo.
invoice-refusal-unknown-asset = No conozco el activo «{ $asset }». Usa XLM, XTR (Telegram Stars), la moneda de tu cadena EVM, un token de mi lista o un activo en el que confíe tu billetera Stellar.
invoice-refusal-ambiguous-asset = «{ $asset }» puede referirse a más de un activo. Escríbelo como CÓDIGO:EMISOR para un activo de Stellar.
invoice-refusal-invalid-amount = Ese importe no sirve para { $asset }: debe ser mayor que cero y no tener más decimales de los que admite el activo (las Stars son enteras, 10000 como máximo).
invoice-refusal-no-wallet = Necesitas una billetera donde recibir el pago. Envíame primero /wallet en un chat privado.
invoice-refusal-wallet-not-active = Tu billetera Stellar aún no está activa. Vuelve a intentarlo cuando te avise.
invoice-refusal-no-trustline = Tu billetera Stellar no confía en { $asset }, así que no puede recibirlo.
invoice-not-found = No encuentro esa factura. Puede que el enlace esté mal escrito.
invoice-not-payable-paid = Esta factura ya está pagada.
invoice-not-payable-expired = Esta factura ha vencido y ya no se puede pagar.
invoice-not-payable-cancelled = Quien pidió este pago canceló la factura.
invoice-own = Esta factura es tuya, así que no puedes pagarla. Compártela con quien deba pagarla.
invoice-pay-heading = 🧾 <b>Vas a pagar una factura</b>
invoice-pay-need-wallet = Para pagar esta factura necesitas aquí una billetera { $network } activa: envía /wallet. También puedes pagar desde otra billetera con el código QR de la factura.
invoice-pay-already-open = Ya tienes una confirmación para esta factura: usa sus botones.
invoice-pay-in-progress = Tu pago de esta factura ya está en marcha.
invoice-pay-too-many-attempts = Demasiados intentos de pagar esta factura. Págala desde otra billetera.
invoice-press-unknown = Este botón ya no es válido.
invoice-press-used = Este botón ya se usó.
invoice-press-expired = Este botón ha caducado.
invoice-press-not-yours = Solo quien pidió este pago puede cancelarlo.
invoice-cancelled = La factura está cancelada.
invoice-cancel-not-open = Esta factura ya no está abierta.
invoice-stars-title = Solicitud de pago
invoice-stars-default-description = Un pago de { $amount } Telegram Stars.
invoice-stars-price-label = Pago
invoice-stars-thanks = ✅ ¡Gracias! Pagaste { $amount } ⭐ por «{ $description }».
invoice-stars-not-settled = Tus { $amount } ⭐ llegaron cuando la factura «{ $description }» ya estaba cerrada, así que no la pagaron. El pago queda registrado y puede reembolsarse; pregunta a quien te envió la factura.
invoice-stars-unknown = Recibí tu pago en Stars pero no encuentro su factura. Queda registrado; contacta con soporte.
invoice-precheckout-unknown = Esta factura no existe.
invoice-precheckout-paid = Esta factura ya está pagada.
invoice-precheckout-expired = Esta factura ha vencido.
invoice-precheckout-cancelled = Esta factura fue cancelada.
invoice-precheckout-mismatch = El precio de esta factura no coincide. Ábrela de nuevo.
invoice-precheckout-own = No puedes pagar tu propia factura.
invoice-precheckout-busy = Los pagos están saturados ahora mismo. Vuelve a intentarlo en un momento.

## Inline invoices
inline-help-title = Pedir un pago
inline-help-description = Escribe un importe y un activo, p. ej. 10 XLM café
inline-help-text = Para pedir un pago aquí, escribe <code>@{ $bot } 10 XLM café</code> (importe, activo, concepto) y elige la factura.
inline-no-wallet-title = Primero necesitas una billetera
inline-no-wallet-text = Para pedir pagos, abre @{ $bot }, envía /start y luego /wallet.
inline-start-button = Abrir el bot para tener billetera
inline-refused-title = No puedo crear esta factura
inline-invoice-title = Pedir { $amount } { $asset }

## Invoice page
page-title = Solicitud de pago
page-qr-alt = Código QR de la solicitud de pago
page-open-wallet = Abrir en tu billetera
page-open-telegram = Pagar en Telegram
page-expiry = Válida hasta { $expiry }
page-manual = O copia esta solicitud de pago en tu billetera:
page-status-paid = Esta factura ya está pagada.
page-status-expired = Esta factura ha vencido.
page-status-cancelled = Esta factura fue cancelada.
page-not-found-title = Factura no encontrada
page-not-found = No hay ninguna factura en esta dirección. Puede que el enlace esté mal escrito.
page-error = Algo salió mal. Vuelve a intentarlo en un momento.
