"""deploy/k8s stays deployable and in step with `make run`, as test_deploy.py keeps compose: every manifest of the
Kustomize base is valid for the Kubernetes versions we support (kubernetes-validate's schemas, strict: a misspelt
field fails), the custom resources (KEDA, the RabbitMQ Cluster Operator) carry what their operators require, every
process of the Procfile has a Deployment running its command, and each process is handed only its own secrets.

The base is rendered here by reading its kustomization's resources, so these checks run without kustomize; where
kubectl is installed its own rendering must agree, and the example overlay is rendered and validated too.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from schoolctl.broker_accounts import NOTIFY_WORKER
from schoolctl.probes import PROBED
from services.gateway.routes import ROUTES
from services.notify.queue.topology import WORK_QUEUES
from shared.config import PROJECT_ROOT, SERVICES
from tests.unit.test_deploy import NUMBERED_COPY, compose_service_of, procfile_processes

K8S = PROJECT_ROOT / "deploy" / "k8s"
BASE, EXAMPLE = K8S / "base", K8S / "overlays" / "example"
# The oldest Kubernetes minor still supported upstream when this was written, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.31", kubernetes_validate.latest_version())
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster"}
WORKLOADS = {"Deployment", "Job"}
# Only in the example overlay: the sandbox stands in for the providers; a real cluster talks to the real ones.
OVERLAY_ONLY_PROCESSES = {"sandbox"}


def render_base() -> list[dict]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    # Reading resources alone is kustomize's whole work only while the base asks for nothing else.
    assert set(kustomization) <= {"apiVersion", "kind", "resources"}, "render the base with kustomize now"
    return [document for resource in kustomization["resources"]
            for document in yaml.safe_load_all((BASE / resource).read_text()) if document]


@cache
def kubectl_kustomize(directory: Path) -> tuple[dict, ...]:
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed: the overlay needs kustomize to render (the base is read directly)")
    rendered = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    return tuple(document for document in yaml.safe_load_all(rendered.stdout) if document)


BASE_DOCUMENTS = render_base()


def named(documents, kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def process_of(workload: dict) -> str:
    return workload["metadata"]["labels"]["app.kubernetes.io/component"]


def containers(workload: dict) -> list[dict]:
    return workload["spec"]["template"]["spec"]["containers"]


def environment(workload: dict) -> dict[str, dict]:
    return {variable["name"]: variable for container in containers(workload) for variable in container.get("env", [])}


def secret_refs(workload: dict) -> dict[str, tuple[str, str]]:
    """{variable: (secret, key)} for every variable taken from a Secret."""
    return {name: (ref["name"], ref["key"]) for name, variable in environment(workload).items()
            if (ref := variable.get("valueFrom", {}).get("secretKeyRef"))}


# --- every manifest is valid -------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_core_manifest_of_the_base_is_valid_for_the_supported_kubernetes_versions(version):
    core = [document for document in BASE_DOCUMENTS if document["kind"] not in CUSTOM_KINDS]

    assert {document["kind"] for document in core} >= {"Deployment", "Job", "Service", "ConfigMap"}
    for document in core:
        kubernetes_validate.validate(document, version, strict=True)


def test_the_validation_refuses_a_misspelt_field():
    job = yaml.safe_load((BASE / "migrate.yaml").read_text())
    job["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"

    with pytest.raises(kubernetes_validate.ValidationError, match="imagePullPolcy"):
        kubernetes_validate.validate(job, KUBERNETES_VERSIONS[-1], strict=True)


def test_kubectls_rendering_of_the_base_is_the_one_read_here():
    rendered = kubectl_kustomize(BASE)
    key = lambda document: (document["kind"], document["metadata"]["name"])  # noqa: E731
    assert sorted(rendered, key=key) == sorted(BASE_DOCUMENTS, key=key)


def test_the_example_overlay_renders_valid_manifests_with_the_sandbox_and_its_namespace():
    documents = kubectl_kustomize(EXAMPLE)

    for document in documents:
        assert document["metadata"]["namespace"] == "schoolcomms-staging", document["metadata"]["name"]
        if document["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(document, KUBERNETES_VERSIONS[-1], strict=True)
    sandbox = named(documents, "Deployment")["schoolcomms-sandbox"]
    assert containers(sandbox)[0]["command"] == procfile_processes()["sandbox"]
    assert all(container["image"] != "schoolcomms" for workload in named(documents, "Deployment").values()
               for container in containers(workload)), "the overlay pins the image's tag"


# --- custom resources: what their operators require -------------------------------------------------------------

def test_the_workers_scale_on_the_depth_of_every_channels_queue_the_workers_consume():
    scaled = named(BASE_DOCUMENTS, "ScaledObject")["schoolcomms-notify-worker"]
    workers = named(BASE_DOCUMENTS, "Deployment")[scaled["spec"]["scaleTargetRef"]["name"]]
    triggers = scaled["spec"]["triggers"]

    assert scaled["apiVersion"] == "keda.sh/v1alpha1" and process_of(workers) == NOTIFY_WORKER
    assert sorted(trigger["metadata"]["queueName"] for trigger in triggers) == sorted(WORK_QUEUES)
    for trigger in triggers:
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["mode"] == "QueueLength"
        assert int(trigger["metadata"]["value"]) > 0
        # KEDA signs in with the workers' own broker account: the one their AMQP_URI names.
        authentication = named(BASE_DOCUMENTS, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
        [host] = authentication["spec"]["secretTargetRef"]
        assert host["parameter"] == "host"
        assert (host["name"], host["key"]) == secret_refs(workers)["AMQP_URI"]
    assert 0 < scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    # KEDA owns the count: a replicas field would be reset by every apply.
    assert "replicas" not in workers["spec"]


def test_rabbitmq_runs_three_nodes_that_boot_with_the_platforms_broker_definitions():
    [cluster] = named(BASE_DOCUMENTS, "RabbitmqCluster").values()
    statefulset = cluster["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]
    [rabbitmq] = [container for container in statefulset["containers"] if container["name"] == "rabbitmq"]
    [mount] = rabbitmq["volumeMounts"]
    [volume] = [volume for volume in statefulset["volumes"] if volume["name"] == mount["name"]]

    assert cluster["apiVersion"] == "rabbitmq.com/v1beta1" and cluster["spec"]["replicas"] == 3
    config = cluster["spec"]["rabbitmq"]["additionalConfig"]
    definitions = re.search(r"^load_definitions = (\S+)$", config, re.MULTILINE)[1]
    assert Path(definitions).parent == Path(mount["mountPath"]) and volume["secret"]["secretName"]


# --- in step with make run ---------------------------------------------------------------------------------------

def test_every_make_run_process_has_a_deployment_running_the_same_command():
    deployments = {process_of(workload): workload for workload in named(BASE_DOCUMENTS, "Deployment").values()}
    for name, command in procfile_processes().items():
        process = compose_service_of(name)
        if process in OVERLAY_ONLY_PROCESSES:
            continue
        assert process in deployments, f"{name} runs under make run but has no Deployment"
        assert [container["command"] for container in containers(deployments[process])] == [command], name


def test_numbered_copies_of_a_process_start_as_that_many_scaled_replicas():
    copies = [name for name in procfile_processes() if NUMBERED_COPY.match(name)]
    scaled = {process_of(item): item for item in named(BASE_DOCUMENTS, "ScaledObject").values()}

    assert {compose_service_of(name) for name in copies} == set(scaled)
    for process, item in scaled.items():
        assert item["spec"]["minReplicaCount"] == sum(compose_service_of(name) == process for name in copies)


def test_migrations_run_as_a_job_over_every_services_database():
    [job] = named(BASE_DOCUMENTS, "Job").values()

    assert containers(job)[0]["command"] == ["schoolctl", "dev", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert {name for name in secret_refs(job)} == {f"{service.upper()}_DATABASE_URL" for service in SERVICES}


# --- secrets: each process holds its own ------------------------------------------------------------------------

def expected_secrets(process: str) -> set[str]:
    own = {"identity": {"IDENTITY_TOKEN_SECRET"}, NOTIFY_WORKER: set(),
           "rostering": {"ROSTERING_PLATFORM_SECRET", "ROSTERING_SETTINGS_KEY"}}.get(
        process, {f"{process.upper()}_PLATFORM_SECRET"})
    database = {"notify" if process == NOTIFY_WORKER else process}.intersection(SERVICES)
    providers = {"TWILIO_AUTH_TOKEN", "SENDGRID_API_KEY", "DEEPL_AUTH_KEY", "FCM_CREDENTIALS_JSON",
                 "CONVERSATION_REPLY_SECRET"} if process in ("notify", NOTIFY_WORKER) else set()
    inbound = {"INBOUND_EMAIL_URL_SECRET"} if process == "notify" else set()
    edge = {"TWILIO_AUTH_TOKEN"} if process == "gateway" else set()  # it verifies Twilio's webhooks
    return {"AMQP_URI", *own, *(f"{name.upper()}_DATABASE_URL" for name in database), *providers, *inbound,
            *edge}


@pytest.mark.parametrize("process", sorted({*SERVICES, "gateway", NOTIFY_WORKER}))
def test_each_process_is_given_only_its_own_secrets(process):
    """identity's secret would let its holder derive every platform secret; nobody else gets it."""
    [workload] = [item for item in named(BASE_DOCUMENTS, "Deployment").values() if process_of(item) == process]
    refs = secret_refs(workload)

    assert set(refs) == expected_secrets(process)
    for variable, (secret, key) in refs.items():
        if variable.endswith("_DATABASE_URL"):
            assert (secret, key) == (f"schoolcomms-database-{variable.removesuffix('_DATABASE_URL').lower()}", "url")
        elif variable in ("AMQP_URI", "IDENTITY_TOKEN_SECRET", "ROSTERING_SETTINGS_KEY") \
                or variable.endswith("_PLATFORM_SECRET"):
            assert (secret, key) == (f"schoolcomms-{process}", variable), variable
        else:
            assert (secret, key) == ("schoolcomms-providers", variable), variable
    # Secrets come from Secrets only: never a literal, and never a whole Secret.
    assert not {name for name, variable in environment(workload).items() if "value" in variable} & refs.keys()
    whole = [source["secretRef"]["name"] for container in containers(workload)
             for source in container.get("envFrom", []) if "secretRef" in source]
    assert whole == []


def test_the_config_map_holds_no_secret_and_every_setting_it_holds_is_documented():
    config = named(BASE_DOCUMENTS, "ConfigMap")["schoolcomms-config"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    secret_like = re.compile(r"(SECRET|TOKEN|PASSWORD|API_KEY|AUTH_KEY|DATABASE_URL|AMQP_URI)")

    assert not [name for name in config["data"] if secret_like.search(name)]
    assert not [name for name in config["data"] if f"`{name}`" not in readme]


# --- probes and resources ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(WORKLOADS))
def test_every_container_asks_for_resources_within_limits_and_runs_unprivileged(kind):
    for workload in named(BASE_DOCUMENTS, kind).values():
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        for container in containers(workload):
            resources = container["resources"]
            assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}, container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_each_long_running_process_has_probes_that_ask_what_it_serves():
    gateway_paths = {route.rule for route in ROUTES if route.method == "GET"}
    for workload in named(BASE_DOCUMENTS, "Deployment").values():
        process, [container] = process_of(workload), containers(workload)
        for probe in (container["readinessProbe"], container["livenessProbe"]):
            if process == "gateway":
                assert probe["httpGet"]["path"] in gateway_paths
            else:
                assert probe["exec"]["command"] == ["schoolctl", "deploy", "probe", process]
                assert process in PROBED
                # The probe's own wait (10 s by default) ends before Kubernetes gives up on it.
                assert probe["timeoutSeconds"] > 10
        assert container["readinessProbe"] != container["livenessProbe"]
    gateway = named(BASE_DOCUMENTS, "Deployment")["schoolcomms-gateway"]
    assert containers(gateway)[0]["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_the_gateway_service_and_disruption_budget_select_the_gateways_pods():
    service = named(BASE_DOCUMENTS, "Service")["schoolcomms-gateway"]
    gateway = named(BASE_DOCUMENTS, "Deployment")["schoolcomms-gateway"]
    [port] = service["spec"]["ports"]
    [container] = containers(gateway)

    assert service["spec"]["selector"] == gateway["spec"]["selector"]["matchLabels"]
    budget = named(BASE_DOCUMENTS, "PodDisruptionBudget")["schoolcomms-gateway"]
    assert budget["spec"]["selector"] == gateway["spec"]["selector"]
    assert port["targetPort"] in {declared["name"] for declared in container["ports"]}
    assert environment(gateway)["GATEWAY_ADDRESS"]["value"].endswith(f":{container['ports'][0]['containerPort']}")


# --- compose -----------------------------------------------------------------------------------------------------

def compose_command() -> list[str]:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) and subprocess.run([*command, "version"], capture_output=True).returncode == 0:
            return command
    pytest.skip("docker compose is not installed here: compose.yaml is checked against the Compose Specification (test_deploy_compose_spec.py)")


def test_docker_compose_accepts_the_compose_file():
    command = compose_command()
    exported = {name: "x" * 48 for name in re.findall(r"\$\{([A-Z_]+):\?", (
        PROJECT_ROOT / "deploy" / "compose.yaml").read_text())}

    checked = subprocess.run([*command, "-f", str(PROJECT_ROOT / "deploy" / "compose.yaml"), "config", "--quiet"],
                             capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"], **exported})
    assert checked.returncode == 0, checked.stderr


def test_every_long_running_process_names_the_port_its_metrics_are_served_on():
    from shared.metrics import ADDRESS_VARIABLE

    config = named(BASE_DOCUMENTS, "ConfigMap")["schoolcomms-config"]
    port = int(config["data"][ADDRESS_VARIABLE].rsplit(":", 1)[1])
    for workload in named(BASE_DOCUMENTS, "Deployment").values():
        [container] = containers(workload)
        assert {"name": "metrics", "containerPort": port} in container["ports"], workload["metadata"]["name"]
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]
