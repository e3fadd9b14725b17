# Topics and subscriptions. One job per credential goes on the jobs topic; the worker
# receives it through a push subscription that gives up after var.max_delivery_attempts
# and moves the job to the dead-letter topic, where a pull subscription keeps it for a
# person to read (a topic without a subscription would drop it).
# https://cloud.google.com/pubsub/docs/handling-failures

resource "google_pubsub_topic" "scan" {
  name   = "${var.name_prefix}-scan"
  labels = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "jobs" {
  name                       = "${var.name_prefix}-jobs"
  labels                     = local.labels
  message_retention_duration = "86400s"

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "jobs_dead_letter" {
  name   = "${var.name_prefix}-jobs-dead-letter"
  labels = local.labels

  depends_on = [google_project_service.apis]
}

# Secret Manager publishes SECRET_ROTATE (and other events) for the managed secrets here.
# https://cloud.google.com/secret-manager/docs/event-notifications
resource "google_pubsub_topic" "secret_rotation" {
  name   = "${var.name_prefix}-secret-rotation"
  labels = local.labels

  depends_on = [google_project_service.apis]
}

# The worker is a CloudEvent function reached by a plain push subscription (not an
# Eventarc trigger) because only a subscription we own can have a dead-letter policy. The
# Functions Framework turns a push body into a CloudEvent when the push endpoint's path
# names the topic (projects/PROJECT/topics/TOPIC).
resource "google_pubsub_subscription" "jobs" {
  name                 = "${var.name_prefix}-jobs-worker"
  topic                = google_pubsub_topic.jobs.id
  labels               = local.labels
  ack_deadline_seconds = 600

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.rotation_worker.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.jobs.name}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.rotation_worker.service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.jobs_dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "jobs_dead_letter" {
  name                       = "${var.name_prefix}-jobs-dead-letter"
  topic                      = google_pubsub_topic.jobs_dead_letter.id
  labels                     = local.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}
