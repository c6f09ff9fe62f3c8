## Deposits
deposit-received = 💰 Recibiste <b>{ $amount } { $asset }</b> de { $sender }.
deposit-received-unknown-token =
    ⚠️ Recibiste { $amount } unidades base de un token que se hace llamar «{ $asset }» de { $sender }.
    Su contrato <code>{ $contract }</code> no es un token que yo conozca: puede ser una imitación y no cuenta como { $asset }.
deposit-memo = Memo: <code>{ $memo }</code>
deposit-sender-telegram-user = un usuario de Telegram
deposit-invoice-paid = 🧾 Para la factura «{ $description }»: pagada.
deposit-invoice-short = 🧾 Para la factura «{ $description }»: falta dinero, { $amount } de { $expected } { $asset }. No se marcó como pagada.
deposit-invoice-wrong-asset = 🧾 Para la factura «{ $description }»: activo equivocado, pide { $expected } { $asset }. No se marcó como pagada.
deposit-invoice-expired = 🧾 Para la factura «{ $description }»: la factura ya había vencido. No se marcó como pagada.
deposit-invoice-cancelled = 🧾 Para la factura «{ $description }»: la factura estaba cancelada. No se marcó como pagada.
deposit-invoice-already-paid = 🧾 Para la factura «{ $description }»: ya estaba pagada, así que este pago no cuenta para ella.
deposit-invoice-wrong-destination = 🧾 Su memo indica una factura que se paga a otra dirección, así que no cuenta para ninguna factura.
deposit-invoice-unknown-token = 🧾 No paga la factura «{ $description }», que pide { $expected } { $asset }.
deposit-invoice-no-invoice = 🧾 Su memo no corresponde a ninguna de tus facturas.
deposit-reversed = ↩️ Los { $amount } { $asset } de { $sender } que se te acreditaron antes fueron revertidos por una reorganización de la cadena: ya no están en tu billetera.
deposit-reversed-invoice = 🧾 La factura «{ $description }» vuelve a estar sin pagar.
deposit-transaction = Transacción: <code>{ $hash }</code>
invoice-paid = ✅ La factura «{ $description }» está pagada: recibiste <b>{ $amount } { $asset }</b> de { $sender }.
invoice-paid-stars = ✅ La factura «{ $description }» está pagada: <b>{ $amount } ⭐</b> de { $sender }.
