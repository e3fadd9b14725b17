# Secret Manager secrets. Terraform creates them and their IAM; values are added by a
# person (settings) or by credrot itself (managed secrets). No value is ever in Terraform
# state.

# credrot.config.yaml, mounted into every function as a file.
resource "google_secret_manager_secret" "config" {
  secret_id = var.config_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# What the configuration refers to with { gcp: { secret: ... } }: API tokens and webhook
# secrets. Read-only for credrot.
resource "google_secret_manager_secret" "settings" {
  for_each  = toset(var.settings_secret_ids)
  secret_id = each.value
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# The credentials credrot rotates. Each publishes its events (SECRET_ROTATE on its
# schedule) to the rotation topic, which triggers the secretRotate function.
# https://cloud.google.com/secret-manager/docs/secret-rotation
resource "google_secret_manager_secret" "managed" {
  for_each  = var.managed_secrets
  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }

  topics {
    name = google_pubsub_topic.secret_rotation.id
  }

  rotation {
    rotation_period    = each.value.rotation_period
    next_rotation_time = each.value.next_rotation_time
  }

  lifecycle {
    # Secret Manager advances next_rotation_time after every notification, and credrot
    # keeps its version aliases (current/pending/previous) and lease annotation on the
    # secret: neither is drift.
    ignore_changes = [rotation[0].next_rotation_time, version_aliases, annotations]
  }

  # Secret Manager refuses a topic its service agent cannot publish to.
  depends_on = [google_pubsub_topic_iam_member.secretmanager_publishes_rotation]
}
