"""gunicorn settings shared by `make run`, the Docker image and the bench:
`gunicorn -c python:gateway.gunicorn_conf ... "gateway:create_app()"`."""
worker_class = "gthread"
threads = 8
accesslog = "-"
logger_class = "gateway.access_log.MaskingLogger"
