# Least privilege: one service account per role, every Secret Manager grant on a single
# secret (never on the project), publish rights on the jobs topic only, and the invoker
# identity allowed to call exactly the three event-driven functions.

resource "google_service_account" "gitlab_webhook" {
  account_id   = "${var.name_prefix}-gl-hook"
  display_name = "credrot GitLab webhook"
}

# Reads the managed secrets too: a leaked value is recognised by comparing hashes.
resource "google_service_account" "github_webhook" {
  account_id   = "${var.name_prefix}-gh-hook"
  display_name = "credrot GitHub webhook"
}

resource "google_service_account" "scan" {
  account_id   = "${var.name_prefix}-scan"
  display_name = "credrot scheduled scan"
}

resource "google_service_account" "worker" {
  account_id   = "${var.name_prefix}-worker"
  display_name = "credrot rotation worker"
}

resource "google_service_account" "rotate" {
  account_id   = "${var.name_prefix}-rotate"
  display_name = "credrot Secret Manager rotation notifications"
}

# The identity Pub/Sub pushes and Eventarc triggers present to the event-driven functions.
resource "google_service_account" "invoker" {
  account_id   = "${var.name_prefix}-invoker"
  display_name = "credrot Pub/Sub and Eventarc invoker"
}

locals {
  function_accounts = {
    gitlab_webhook = google_service_account.gitlab_webhook.member
    github_webhook = google_service_account.github_webhook.member
    scan           = google_service_account.scan.member
    worker         = google_service_account.worker.member
    rotate         = google_service_account.rotate.member
  }
  # Those that run the rotation protocol and so write the managed secrets. secretRotate
  # only turns a notification into a job, so it never touches a managed secret.
  rotating_accounts = {
    worker = google_service_account.worker.member
  }
  # Those that only read them: the scan plans, the GitHub webhook matches leaked values.
  reading_accounts = {
    scan           = google_service_account.scan.member
    github_webhook = google_service_account.github_webhook.member
  }
  managed_reads = {
    for pair in setproduct(keys(local.reading_accounts), keys(var.managed_secrets)) :
    "${pair[0]}/${pair[1]}" => { account = local.reading_accounts[pair[0]], secret = pair[1] }
  }
}

# What the rotation protocol does to a managed secret (shared/stores/gcp-secret-manager):
# read it and its versions, add a version, move aliases and the lease annotation
# (secrets.update), disable a retired version. No create, no delete, no IAM changes.
resource "google_project_iam_custom_role" "secret_rotator" {
  role_id     = "${replace(var.name_prefix, "-", "_")}_secret_rotator"
  title       = "credrot secret rotator"
  description = "Rotate one credrot-managed secret; granted per secret, never on the project."
  permissions = [
    "secretmanager.secrets.get",
    "secretmanager.secrets.update",
    "secretmanager.versions.access",
    "secretmanager.versions.add",
    "secretmanager.versions.disable",
    "secretmanager.versions.get",
    "secretmanager.versions.list",
  ]
}

# --- configuration and settings: read-only, per secret --------------------------------

resource "google_secret_manager_secret_iam_member" "config_accessor" {
  for_each  = local.function_accounts
  secret_id = google_secret_manager_secret.config.id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value
}

resource "google_secret_manager_secret_iam_member" "settings_accessor" {
  for_each = {
    for pair in setproduct(keys(local.function_accounts), var.settings_secret_ids) :
    "${pair[0]}/${pair[1]}" => { account = local.function_accounts[pair[0]], secret = pair[1] }
  }
  secret_id = google_secret_manager_secret.settings[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.account
}

# --- managed secrets ---------------------------------------------------------------------

resource "google_secret_manager_secret_iam_member" "managed_rotator" {
  for_each = {
    for pair in setproduct(keys(local.rotating_accounts), keys(var.managed_secrets)) :
    "${pair[0]}/${pair[1]}" => { account = local.rotating_accounts[pair[0]], secret = pair[1] }
  }
  secret_id = google_secret_manager_secret.managed[each.value.secret].id
  role      = google_project_iam_custom_role.secret_rotator.id
  member    = each.value.account
}

# Readers see versions, aliases and values, and change nothing.
resource "google_secret_manager_secret_iam_member" "managed_viewer" {
  for_each  = local.managed_reads
  secret_id = google_secret_manager_secret.managed[each.value.secret].id
  role      = "roles/secretmanager.viewer"
  member    = each.value.account
}

resource "google_secret_manager_secret_iam_member" "managed_accessor" {
  for_each  = local.managed_reads
  secret_id = google_secret_manager_secret.managed[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.account
}

# --- Pub/Sub -------------------------------------------------------------------------------

# Whoever enqueues rotation jobs: the scan, the webhooks, the Secret Manager handler.
resource "google_pubsub_topic_iam_member" "jobs_publisher" {
  for_each = {
    scan           = google_service_account.scan.member
    gitlab_webhook = google_service_account.gitlab_webhook.member
    github_webhook = google_service_account.github_webhook.member
    rotate         = google_service_account.rotate.member
  }
  topic  = google_pubsub_topic.jobs.id
  role   = "roles/pubsub.publisher"
  member = each.value
}

# Dead-lettering: Pub/Sub's service agent forwards from the subscription to the topic.
# https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.jobs_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  subscription = google_pubsub_subscription.jobs.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "secretmanager_publishes_rotation" {
  topic  = google_pubsub_topic.secret_rotation.id
  role   = "roles/pubsub.publisher"
  member = local.secretmanager_agent
}

# --- invocation ---------------------------------------------------------------------------

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = {
    scheduled_scan  = google_cloudfunctions2_function.scheduled_scan.service_config[0].service
    rotation_worker = google_cloudfunctions2_function.rotation_worker.service_config[0].service
    secret_rotate   = google_cloudfunctions2_function.secret_rotate.service_config[0].service
  }
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# GitLab and GitHub cannot present Google credentials; the functions authenticate each
# delivery themselves (X-Gitlab-Token, X-Hub-Signature-256).
resource "google_cloud_run_v2_service_iam_member" "webhook_public" {
  for_each = {
    gitlab_webhook = google_cloudfunctions2_function.gitlab_webhook.service_config[0].service
    github_webhook = google_cloudfunctions2_function.github_webhook.service_config[0].service
  }
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = "allUsers"
}
