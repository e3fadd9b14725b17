# Inputs. Only project_id has no default; everything else is a sensible production value.

variable "project_id" {
  description = "The GCP project credrot is deployed to."
  type        = string
}

variable "region" {
  description = "Region of the functions, the scheduler job and the source bucket."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so that several credrot deployments can share a project (for example credrot-staging)."
  type        = string
  default     = "credrot"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lowercase letters, digits or '-' (it becomes part of service account ids, which are capped at 30 characters)."
  }
}

variable "bundle_dir" {
  description = "Directory holding the esbuild bundle of functions/gcp/index.ts (index.mjs and package.json), written by `npm run bundle:gcp`. Terraform zips it and uploads the zip."
  type        = string
  default     = "../dist/gcp"
}

variable "runtime" {
  description = "Cloud Functions runtime. nodejs22 works as well."
  type        = string
  default     = "nodejs20"

  validation {
    condition     = contains(["nodejs20", "nodejs22"], var.runtime)
    error_message = "runtime must be nodejs20 or nodejs22 (the bundle targets Node 20)."
  }
}

variable "scan_schedule" {
  description = "Cron schedule (unix-cron) of the scan that finds due credentials and enqueues one job each."
  type        = string
  default     = "0 * * * *"
}

variable "scan_time_zone" {
  description = "Time zone of scan_schedule (tz database name)."
  type        = string
  default     = "Etc/UTC"
}

variable "max_delivery_attempts" {
  description = "Deliveries of one rotation job before Pub/Sub moves it to the dead-letter topic (Pub/Sub allows 5-100)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

variable "config_secret_id" {
  description = "Secret Manager secret that holds credrot.config.yaml. Terraform creates the secret; you add its value (gcloud secrets versions add)."
  type        = string
  default     = "credrot-config"
}

variable "settings_secret_ids" {
  description = "Secrets the configuration refers to with { gcp: { secret: ... } }: the GitLab and GitHub API tokens and the webhook secrets. Terraform creates them empty; credrot only reads them."
  type        = list(string)
  default = [
    "credrot-gitlab-token",
    "credrot-github-token",
    "credrot-gitlab-webhook-secret",
    "credrot-github-webhook-secret",
  ]
}

variable "managed_secrets" {
  description = <<-EOT
    Secrets credrot rotates (the gcp-secret-manager stores of the configuration), keyed by
    secret id. Secret Manager publishes SECRET_ROTATE to the rotation topic every
    rotation_period (a duration in seconds such as "2592000s", at least "3600s"), starting at
    next_rotation_time (RFC 3339, in the future when first applied).
  EOT
  type = map(object({
    rotation_period    = string
    next_rotation_time = string
  }))
  default = {}

  validation {
    condition     = alltrue([for id, s in var.managed_secrets : can(regex("^[0-9]+s$", s.rotation_period))])
    error_message = "Each rotation_period must be a number of seconds with an 's' suffix, for example \"2592000s\" (30 days)."
  }
}

variable "build_service_account" {
  description = "Service account (full resource name) Cloud Build uses to build the functions; null uses the project's default."
  type        = string
  default     = null
}
