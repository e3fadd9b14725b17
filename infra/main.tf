# credrot on GCP: five Cloud Functions (gen2) over one bundle, the Pub/Sub topics that
# connect them, a Cloud Scheduler job, the Secret Manager secrets and least-privilege IAM.
# The AWS deployment of the same handlers lives in ../serverless.yml.

locals {
  # Google-managed service agents that act on our topics and subscriptions.
  pubsub_agent        = "serviceAccount:${google_project_service_identity.pubsub.email}"
  secretmanager_agent = "serviceAccount:${google_project_service_identity.secretmanager.email}"

  # Where every function finds its configuration: the config secret mounted as a file.
  config_mount_path = "/etc/credrot"
  config_file_name  = "credrot.config.yaml"

  labels = {
    managed-by = "credrot"
  }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# The Secret Manager service agent must exist before it can be granted publish rights on
# the rotation topic; it is created on first use of the API, or here.
resource "google_project_service_identity" "secretmanager" {
  provider = google-beta
  project  = var.project_id
  service  = "secretmanager.googleapis.com"

  depends_on = [google_project_service.apis]
}

resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"

  depends_on = [google_project_service.apis]
}
