enum BotsPlaceholder {}
