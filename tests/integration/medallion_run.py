"""medallion, the OASIS TAXII 2.1 reference server, on a port the system picks.

    python medallion_run.py HOST CONFIG_PATH

Binds HOST on port 0, then loads medallion's JSON configuration as its own `medallion` command
does, with each "@PORT@" in the memory backend's data file replaced by the port (the discovery
document names the server's own URL), prints the port on a line of its own and serves until
stopped.  The socket listens before the port is printed: a test reading the line has no port
to race for and nothing to poll.
"""
import json
import sys

from werkzeug.serving import make_server

from medallion import application_instance, register_blueprints, set_config


def main():
    host, conf_path = sys.argv[1], sys.argv[2]
    with open(conf_path) as f:
        configuration = json.load(f)
    server = make_server(host, 0, application_instance, threaded=True)
    port = server.server_port
    data = configuration.get("backend", {}).get("filename")
    if data:
        with open(data) as f:
            text = f.read()
        with open(data, "w") as f:
            f.write(text.replace("@PORT@", str(port)))
    for prop in ("users", "taxii", "backend"):
        set_config(application_instance, prop, configuration)
    register_blueprints(application_instance)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
