## Payment status
payment-status-signing =
    ⏳ Enviando { $amount } { $asset } a <code>{ $destination }</code>
    Firmando la transacción…
payment-status-submitted =
    ⏳ Enviando { $amount } { $asset } a <code>{ $destination }</code>
    Enviada a la red, esperando la confirmación…
payment-status-confirmed =
    ✅ Enviaste { $amount } { $asset } a <code>{ $destination }</code>
    Confirmado en la red.
payment-status-failed =
    ❌ El pago de { $amount } { $asset } a <code>{ $destination }</code> falló.
    { $reason }
payment-status-unconfirmed =
    ⚠️ El pago de { $amount } { $asset } a <code>{ $destination }</code> aún no está confirmado.
    La red no respondió a tiempo; la transacción todavía puede completarse. Revisa /wallet más tarde antes de volver a enviar.
payment-status-explorer = <a href="{ $url }">Ver la transacción</a>

## Payment failures
payment-failure-insufficient-funds = Tu saldo no alcanza para este monto más la comisión de la red (en Stellar, parte del saldo es una reserva que no se puede enviar).
payment-failure-destination-no-trustline = La cuenta del destinatario todavía no puede recibir este activo: necesita una línea de confianza (trustline).
payment-failure-destination-missing = La cuenta de Stellar del destinatario todavía no existe.
payment-failure-destination-line-full = La cuenta del destinatario no puede recibir tanto de este activo.
payment-failure-memo-required = El destinatario exige un memo. Vuelve a enviar con el memo que te indicó.
payment-failure-not-authorized = El emisor de este activo no autorizó esta transferencia.
payment-failure-reverted = El contrato del token rechazó la transferencia; la comisión de la red se cobró.
payment-failure-daily-limit = Superarías tu límite diario de envío para este activo. Inténtalo mañana.
payment-failure-fee-too-high = Las comisiones de la red están inusualmente altas. Inténtalo más tarde.
payment-failure-signer-refused = Nuestro servicio de firma rechazó este pago. No se envió nada.
payment-failure-invoice-paid = Esta factura ya fue pagada. No se envió nada.
payment-failure-invoice-expired = Esta factura venció. No se envió nada.
payment-failure-invoice-cancelled = Esta factura fue cancelada. No se envió nada.
payment-failure-wallet-unavailable = Tu billetera no puede enviar este pago en este momento. No se envió nada.
payment-failure-gave-up = La red siguió rechazando la transacción. No se envió nada; inténtalo de nuevo.
payment-failure-network = No se pudo conectar con la red. No se envió nada; inténtalo más tarde.
payment-failure-rejected = La red rechazó la transacción.
