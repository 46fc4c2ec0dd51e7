"Example entry points; `from examples.train_weather_svae_improved import ImprovedWeatherVAE` works from the repository root."
