"""What the Telegram bot says beyond app.commands' answers: registration, buttons, and the
polite replies to what it cannot read. Every string is in all six catalogs."""

from __future__ import annotations

from app.core.i18n import N_

CHOOSE_LANGUAGE = N_("Choose your language")
CHOOSE_COUNTRY = N_("Which country do you work in?")
CHOOSE_KIND = N_("What do you do?")
KIND_FARMER = N_("Farmer")
KIND_FISHER = N_("Fisher")
KIND_WEAVER = N_("Weaver")
KIND_TEA_GROWER = N_("Tea grower")
KIND_TRADER = N_("Trader")
CHOOSE_COMMODITIES = N_("Which products? Tap all that apply, then Done.")
CHOOSE_MARKETS = N_("Which markets? Tap all that apply, then Done.")
DONE = N_("Done")
PICK_ONE = N_("Tap at least one first.")
SHARE_PHONE = N_("Share your phone number to also get SMS? (optional)")
SHARE_BUTTON = N_("Share my number")
SKIP = N_("Skip")
CONSENT = N_(
    "MIC will send you prices and alerts. You can stop at any time with /stop. Do you agree?"
)
AGREE = N_("I agree")
DECLINE = N_("No, thanks")
REGISTERED = N_("Registered. You will get {what}. Ask a price any time, e.g. {example}.")
DECLINED = N_("Nothing was saved. Send /start if you change your mind.")
EXPIRED = N_("This button has expired. Send /start or /help.")
TEXT_ONLY = N_("I can only read text messages.")
STOP_CONFIRM = N_("Stop all messages from MIC?")
YES_STOP = N_("Yes, stop")
NO_KEEP = N_("No, keep them")
KEPT = N_("Good, nothing changed.")
ALREADY_REGISTERED = N_("Welcome back. Ask a price, e.g. {example}.")
ALERTS_HEADER = N_("Your alerts. Tap one to remove it.")
NO_ALERTS = N_("No alerts yet. Send for example: JOIN MANGO MUSE")
PICK_PRICE = N_("Which price?")
ALERT_ME = N_("Alert me on this")
